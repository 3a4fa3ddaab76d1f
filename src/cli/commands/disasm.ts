/**
 * `bpflab disasm FILE [--section S]`: print every program in the Linux verifier log's syntax
 * (`12: (bf) r1 = r6`), preceded by `.type`/`.map` directives, so that `bpflab asm` reads it back.
 */
import { disasmInsn, disasmLine, disasmProgram, type DisasmStyle } from '../../isa/disasm.js';
import { PROG_TYPES } from '../../isa/program.js';
import { BPF_LD_IMM64 } from '../../isa/opcodes.js';
import { loadFile } from '../../loader/index.js';
import { parseArgs, type CommandDecl } from '../args.js';
import type { Command } from '../io.js';

const decl: CommandDecl = {
  name: 'disasm',
  summary: 'Print the programs in FILE (ELF object, .s, .data, raw .bin) in the verifier log syntax; `bpflab asm` accepts the output back.\n' +
    "--style kernel prints 64-bit immediates exactly as the kernel's log does (no ' ll', maps as map[id:N]).",
  usage: 'disasm FILE [--section S] [--type T] [--style bpflab|kernel] [--no-prefix] [--json]',
  options: [
    { name: 'section', kind: 'string', valueName: 'S', description: 'only the program in section S (or named S)' },
    { name: 'type', kind: 'string', valueName: 'T', choices: Object.keys(PROG_TYPES), description: 'program type for raw bytecode (default socket_filter)' },
    { name: 'style', kind: 'string', valueName: 'STYLE', choices: ['bpflab', 'kernel'], description: 'bpflab (default; reassembles) or kernel' },
    { name: 'no-prefix', kind: 'flag', description: "omit the verifier log's 'pc: (code) ' prefix" },
  ],
  positionals: { min: 1, max: 1, name: 'FILE' },
};

export const command: Command = {
  decl,
  async run(argv, io) {
    const args = parseArgs(decl, argv);
    const path = args.positionals[0]!;
    const section = args.strings.get('section');
    const type = args.strings.get('type') as keyof typeof PROG_TYPES | undefined;
    const style = (args.strings.get('style') ?? 'bpflab') as DisasmStyle;
    const programs = await loadFile(path, io.readFile(path), { ...(section !== undefined && { section }), ...(type !== undefined && { type }) });
    if (args.flags.has('json')) {
      io.out(JSON.stringify({
        file: path,
        programs: programs.map((p) => {
          const insns: { pc: number; code: number; text: string; line: string }[] = [];
          for (let pc = 0; pc < p.insns.length; pc++) {
            const o = { style, maps: p.maps };
            insns.push({ pc, code: p.insns[pc]!.code, text: disasmInsn(p.insns, pc, o), line: disasmLine(p.insns, pc, o) });
            if (p.insns[pc]!.code === BPF_LD_IMM64) pc++;
          }
          return { name: p.name, section: p.section, type: p.type, license: p.license, maps: p.maps.map(({ initial: _i, ...m }) => m), insns };
        }),
      }) + '\n');
      return 0;
    }
    const texts = programs.map((p) => {
      const body = disasmProgram(p, { style, prefixes: !args.flags.has('no-prefix') });
      return programs.length > 1 ? `; program ${p.name}${p.section ? ` (section ${p.section})` : ''}\n${body}` : body;
    });
    io.out(texts.join('\n'));
    return 0;
  },
};

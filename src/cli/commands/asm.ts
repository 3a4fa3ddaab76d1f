/**
 * `bpflab asm FILE.s [-o OUT.bin]`: assemble to raw little-endian bytecode. Without -o, prints
 * the bytes as hex, one 8-byte instruction slot per line; `-o -` writes the raw bytes to stdout.
 */
import { encodeInsns } from '../../isa/decode.js';
import { PROG_TYPES } from '../../isa/program.js';
import { loadFile } from '../../loader/index.js';
import { onlyProgram } from '../../loader/open.js';
import { parseArgs, UsageError, type CommandDecl } from '../args.js';
import type { Command } from '../io.js';

const decl: CommandDecl = {
  name: 'asm',
  summary: 'Assemble FILE (assembly .s/.asm, a conformance .data, or anything bpflab loads) to raw bytecode.\n' +
    'Without -o the bytes are printed as hex, one 8-byte instruction per line; -o - writes raw bytes to stdout.',
  usage: 'asm FILE.s [-o OUT.bin] [--json]',
  options: [
    { name: 'out', short: 'o', kind: 'string', valueName: 'OUT.bin', description: 'write the raw bytecode to OUT.bin (- for stdout)' },
    { name: 'section', kind: 'string', valueName: 'S', description: 'the program in section S (ELF input)' },
    { name: 'type', kind: 'string', valueName: 'T', choices: Object.keys(PROG_TYPES), description: 'program type when the input does not say' },
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
    const programs = await loadFile(path, io.readFile(path), { ...(section !== undefined && { section }), ...(type !== undefined && { type }) });
    const prog = onlyProgram(path, programs, args.strings.get('section'));
    const bytes = encodeInsns(prog.insns);
    const out = args.strings.get('out');
    const json = args.flags.has('json');
    if (out !== undefined) {
      if (out === '-' && json) throw new UsageError('asm: -o - and --json both write to stdout; choose one');
      io.writeFile(out, bytes);
    }
    if (json) {
      io.out(JSON.stringify({
        file: path, ...(out !== undefined && { out }), type: prog.type, insns: prog.insns.length, bytes: bytes.length,
        maps: prog.maps.map((m) => m.name), hex: Buffer.from(bytes).toString('hex'),
      }) + '\n');
    } else if (out === undefined) {
      const lines: string[] = [];
      for (let i = 0; i < bytes.length; i += 8) lines.push(Array.from(bytes.subarray(i, i + 8), (b) => b.toString(16).padStart(2, '0')).join(' '));
      io.out(lines.join('\n') + '\n');
    } else if (out !== '-') {
      io.out(`${path}: ${prog.insns.length} instructions (${bytes.length} bytes) written to ${out}\n`);
    }
    return 0;
  },
};

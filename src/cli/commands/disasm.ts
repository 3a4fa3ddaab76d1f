/**
 * `bpflab disasm FILE [--section S] [--source]`: print every program in the Linux verifier
 * log's syntax (`12: (bf) r1 = r6`), preceded by `.type`/`.map` directives, so that
 * `bpflab asm` reads it back. Programs from ELF objects get a comment header (section, type,
 * attach point, maps with their C key/value types, subprograms); `--source` interleaves the
 * BTF line info (`; file:line:col  source text`) before the instructions it covers.
 */
import { disasmInsn, disasmLine, disasmProgram, type DisasmStyle } from '../../isa/disasm.js';
import { type LineInfo, makeMapSpec, makeProgram, type Program } from '../../isa/program.js';
import { BPF_LD_IMM64 } from '../../isa/opcodes.js';
import { loadFileDetailed, type ElfObject } from '../../loader/index.js';
import { parseArgs, type CommandDecl } from '../args.js';
import { LOAD_OPTIONS, loadOptionsFrom } from '../load-options.js';
import type { Command } from '../io.js';

const decl: CommandDecl = {
  name: 'disasm',
  summary: 'Print the programs in FILE (ELF object, .s, .data, .cbpf, raw .bin) in the verifier log syntax; `bpflab asm` accepts the output back.\n' +
    "--style kernel prints 64-bit immediates exactly as the kernel's log does (no ' ll', maps as map[id:N]).\n" +
    '--source interleaves the source lines recorded in BTF line info (clang -g).',
  usage: 'disasm FILE [--section S] [--type T] [--style bpflab|kernel] [--no-prefix] [--source] [--json]',
  options: [
    ...LOAD_OPTIONS,
    { name: 'style', kind: 'string', valueName: 'STYLE', choices: ['bpflab', 'kernel'], description: 'bpflab (default; reassembles) or kernel' },
    { name: 'no-prefix', kind: 'flag', description: "omit the verifier log's 'pc: (code) ' prefix" },
    { name: 'source', kind: 'flag', description: 'interleave source lines from BTF line info' },
  ],
  positionals: { min: 1, max: 1, name: 'FILE' },
};

/** `; file:line:col  text` for a line info record. */
function sourceComment(l: LineInfo): string {
  const file = l.file.split('/').pop() ?? l.file;
  return `; ${file}:${l.line}:${l.col}  ${l.text.trim()}`;
}

/** Comment lines describing an ELF program: where it came from and what it uses. */
function header(p: Program, elf: ElfObject | undefined): string[] {
  const lines = [`; program ${p.name}`];
  const where = [`section ${p.section}`, `type ${p.type}`];
  if (p.attachTo !== undefined) where.push(`attach ${p.attachTo}`);
  if (p.expectedAttachType !== undefined) where.push(`expected_attach_type ${p.expectedAttachType}`);
  where.push(`license "${p.license}"`, `${p.insns.length} insns`);
  lines.push(`; ${where.join(', ')}`);
  const i = elf ? elf.programs.findIndex((q) => q.name === p.name && q.section === p.section) : -1;
  const d = i >= 0 ? elf!.details[i] : undefined;
  if (d && d.subprograms.length) lines.push(`; subprograms: ${d.subprograms.map((s) => `${s.name} at ${s.pc}`).join(', ')}`);
  p.maps.forEach((m, mi) => {
    const md = elf?.mapDetails[mi];
    const types = md && (md.keyType || md.valueType) ? ` (${md.keyType ?? '?'} -> ${md.valueType ?? '?'})` : '';
    const extra = [md ? md.origin : '', m.flags ? `flags=0x${m.flags.toString(16)}` : '', m.inner ? `inner=${m.inner.type}` : '', m.pinning ? `pinning=${m.pinning}` : ''].filter(Boolean);
    lines.push(`; map ${mi}: ${m.name} ${m.type} key=${m.keySize} value=${m.valueSize} entries=${m.maxEntries}${types}${extra.length ? ` [${extra.join(', ')}]` : ''}`);
  });
  if (d && d.coreRelos.length) lines.push(`; ${d.coreRelos.length} CO-RE relocations (not applied): ${d.coreRelos.slice(0, 3).map((c) => `pc ${c.pc} ${c.kind} ${c.path}`).join('; ')}${d.coreRelos.length > 3 ? '; ...' : ''}`);
  return lines;
}

export const command: Command = {
  decl,
  async run(argv, io) {
    const args = parseArgs(decl, argv);
    const path = args.positionals[0]!;
    const style = (args.strings.get('style') ?? 'bpflab') as DisasmStyle;
    const withSource = args.flags.has('source');
    // The listing shows the object as compiled (as llvm-objdump does): CO-RE only when asked for (--core / --btf).
    const lopts = loadOptionsFrom(args);
    const asked = args.flags.has('core') || lopts.btf !== undefined;
    const { programs, elf } = await loadFileDetailed(path, io.readFile(path), asked ? lopts : { ...lopts, noCore: true });
    if (args.flags.has('json')) {
      io.out(JSON.stringify({
        file: path,
        programs: programs.map((p) => {
          const lines = new Map((p.lineInfo ?? []).map((l) => [l.pc, l]));
          const insns: { pc: number; code: number; text: string; line: string; source?: LineInfo }[] = [];
          for (let pc = 0; pc < p.insns.length; pc++) {
            const o = { style, maps: p.maps };
            const entry: (typeof insns)[number] = { pc, code: p.insns[pc]!.code, text: disasmInsn(p.insns, pc, o), line: disasmLine(p.insns, pc, o) };
            const l = lines.get(pc);
            if (withSource && l) entry.source = l;
            insns.push(entry);
            if (p.insns[pc]!.code === BPF_LD_IMM64) pc++;
          }
          const i = elf ? elf.programs.findIndex((q) => q.name === p.name && q.section === p.section) : -1;
          return {
            name: p.name, section: p.section, type: p.type,
            ...(p.attachTo !== undefined && { attachTo: p.attachTo }),
            ...(p.expectedAttachType !== undefined && { expectedAttachType: p.expectedAttachType }),
            license: p.license,
            maps: p.maps.map(({ initial: _i, ...m }, mi) => {
              const md = elf?.mapDetails[mi];
              return { ...m, ...(md && { origin: md.origin }), ...(md?.keyType !== undefined && { keyType: md.keyType }), ...(md?.valueType !== undefined && { valueType: md.valueType }) };
            }),
            ...(i >= 0 && { subprograms: elf!.details[i]!.subprograms }),
            insns,
          };
        }),
      }) + '\n');
      return 0;
    }
    const texts = programs.map((p0) => {
      const p = withAsmNames(p0);
      let body = disasmProgram(p, { style, prefixes: !args.flags.has('no-prefix') });
      if (withSource && p.lineInfo?.length) body = interleave(p, body, style, !args.flags.has('no-prefix'));
      if (p.section !== '') return `${header(p, elf).join('\n')}\n${body}`;
      return programs.length > 1 ? `; program ${p.name}\n${body}` : body;
    });
    io.out(texts.join('\n'));
    return 0;
  },
};

/** Re-emits disasmProgram's text with a source comment before each instruction that starts a line. */
function interleave(p: Program, body: string, style: DisasmStyle, prefixes: boolean): string {
  const lines = new Map<number, LineInfo>();
  for (const l of p.lineInfo ?? []) lines.set(l.pc, l);
  const funcs = new Map((p.funcInfo ?? []).map((f) => [f.pc, f.name]));
  const out: string[] = [];
  const text = body.split('\n');
  // Directives come first, one line per instruction after them.
  let k = 0;
  while (k < text.length && text[k]!.startsWith('.')) out.push(text[k++]!);
  const o = { style, maps: p.maps };
  let last = '';
  for (let pc = 0; pc < p.insns.length; pc++) {
    const f = funcs.get(pc);
    if (f !== undefined && pc > 0) out.push(`; --- ${f}`);
    const l = lines.get(pc);
    if (l) {
      const c = sourceComment(l);
      // Consecutive records of one line (different columns) print once.
      const key = `${l.file}:${l.line}`;
      if (key !== last) out.push(c);
      last = key;
    }
    out.push(prefixes ? disasmLine(p.insns, pc, o) : disasmInsn(p.insns, pc, o));
    if (p.insns[pc]!.code === BPF_LD_IMM64) pc++;
  }
  return out.join('\n') + '\n';
}

/**
 * The program with map names the assembler reads back: a name from a crafted object (spaces,
 * control characters, a clash with another map) becomes an identifier, made unique.
 */
function withAsmNames(p: Program): Program {
  const ok = /^[A-Za-z_.$][\w.$]*$/;
  if (p.maps.every((m, i) => ok.test(m.name) && p.maps.findIndex((x) => x.name === m.name) === i)) return p;
  const taken = new Set<string>();
  const maps = p.maps.map((m, i) => {
    let name = ok.test(m.name) ? m.name : `${m.name.replace(/[^\w.$]/g, '_').replace(/^(?=[0-9])/, '_').slice(0, 64) || `map${i}`}`;
    if (taken.has(name)) { let k = 1; while (taken.has(`${name}_${k}`)) k++; name = `${name}_${k}`; }
    taken.add(name);
    return name === m.name ? m : makeMapSpec({ ...m, name });
  });
  return makeProgram({ ...p, maps });
}

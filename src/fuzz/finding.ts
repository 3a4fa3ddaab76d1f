/**
 * Findings: what an oracle reports, how findings are deduplicated (oracle + kind + the opcode at
 * the pc), and how a minimised finding becomes a corpus entry (SPEC section 6): `<name>.s` via
 * the disassembler and `<name>.expect.json` with a one-line `why`.
 */
import type { Insn } from '../isa/insn.js';
import * as op from '../isa/opcodes.js';
import type { Program } from '../isa/program.js';
import { disasmLine, mapDirective } from '../isa/disasm.js';
import { assemble } from '../isa/asm/index.js';
import type { RunResult } from '../vm/index.js';
import { type FuzzInput, hex, materialize } from './generators/inputs.js';

export const ORACLE_NAMES = ['sanitize', 'embed', 'jit', 'kernel'] as const;
export type OracleName = (typeof ORACLE_NAMES)[number];

export interface Finding {
  oracle: OracleName;
  /** Stable class of the problem, e.g. "fault:out_of_bounds:map_value", "r0", "bpflab-accepts". */
  kind: string;
  /** The instruction it concerns (-1: none). */
  pc: number;
  /** One line for people. */
  message: string;
  program: Program;
  /** The input that shows it (absent for verdict-only findings). */
  input?: FuzzInput;
  /** bpflab's verdict on the program. */
  verdict: 'accept' | 'reject';
  /** The running kernel's verdict, when known. */
  kernel?: 'accept' | 'reject';
  /** What the corpus entry should expect (default: the kernel's verdict, else bpflab's). */
  expect?: 'accept' | 'reject';
  /** The VM's r0 (decimal) for entries that should record it. */
  r0?: string;
  /** How the VM run on `input` ended (runOutcome), for the entry's replay check. */
  outcome?: string;
}

const ALU_NAMES = ['add', 'sub', 'mul', 'div', 'or', 'and', 'lsh', 'rsh', 'neg', 'mod', 'xor', 'mov', 'arsh', 'end'];
const JMP_NAMES = ['ja', 'jeq', 'jgt', 'jge', 'jset', 'jne', 'jsgt', 'jsge', 'call', 'exit', 'jlt', 'jle', 'jslt', 'jsle', 'jcond'];
const SIZE_NAMES: Record<number, string> = { [op.BPF_B]: 'b', [op.BPF_H]: 'h', [op.BPF_W]: 'w', [op.BPF_DW]: 'dw' };

/** A short name of an instruction's opcode, e.g. "ldxw", "stxdw", "alu64.add.x", "jmp32.jgt.k", "call#1". */
export function opcodeName(ins: Insn | undefined): string {
  if (!ins) return 'none';
  const c = op.cls(ins.code);
  const sz = SIZE_NAMES[op.size(ins.code)] ?? '?';
  switch (c) {
    case op.BPF_LD:
      if (ins.code === op.BPF_LD_IMM64) return `ld_imm64${ins.src ? `.src${ins.src}` : ''}`;
      return `${op.mode(ins.code) === op.BPF_ABS ? 'ldabs' : op.mode(ins.code) === op.BPF_IND ? 'ldind' : 'ld?'}${sz}`;
    case op.BPF_LDX: return `${op.mode(ins.code) === op.BPF_MEMSX ? 'ldxs' : 'ldx'}${sz}`;
    case op.BPF_ST: return `st${sz}`;
    case op.BPF_STX: return op.mode(ins.code) === op.BPF_ATOMIC ? `atomic${sz}` : `stx${sz}`;
    case op.BPF_ALU:
    case op.BPF_ALU64:
      return `${c === op.BPF_ALU ? 'alu' : 'alu64'}.${ALU_NAMES[op.aluOp(ins.code) >> 4] ?? '?'}.${op.srcBit(ins.code) ? 'x' : 'k'}`;
    default: {
      const name = JMP_NAMES[op.jmpOp(ins.code) >> 4] ?? '?';
      if (name === 'call') return ins.src === op.BPF_PSEUDO_CALL ? 'call.local' : `call#${ins.imm}`;
      if (name === 'exit' || name === 'ja') return name;
      return `${c === op.BPF_JMP32 ? 'jmp32' : 'jmp'}.${name}.${op.srcBit(ins.code) ? 'x' : 'k'}`;
    }
  }
}

/** The deduplication key: oracle, kind, and the opcode at the finding's pc. */
export function signature(f: Pick<Finding, 'oracle' | 'kind' | 'pc' | 'program'>): string {
  return `${f.oracle}|${f.kind}|${f.pc >= 0 ? opcodeName(f.program.insns[f.pc]) : 'none'}`;
}

/** A file-name-safe, stable name for a signature. */
export function findingName(sig: string): string {
  const slug = sig.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 80);
  let h = 0x811c9dc5;
  for (let i = 0; i < sig.length; i++) h = Math.imul(h ^ sig.charCodeAt(i), 0x01000193) >>> 0;
  return `${slug}-${h.toString(16).padStart(8, '0').slice(0, 6)}`;
}

/** A concrete input in replayable form: packet and ctx as hex, map entries by map NAME, the PRNG seed. */
export interface RecordedInput {
  packet?: string;
  ctx?: string;
  maps: { map: string; key: string; value: string }[];
  seed: number;
}

/** The input a finding's program actually ran on (materialized: sized ctx, map entries by name). */
export function recordInput(program: Program, input: FuzzInput): RecordedInput {
  const ci = materialize(program, input);
  return {
    ...(ci.packet && { packet: hex(ci.packet) }), ...(ci.ctx && { ctx: hex(ci.ctx) }),
    maps: ci.fills.map((f) => ({ map: program.maps[f.map]!.name, key: hex(f.key), value: hex(f.value) })),
    seed: ci.seed,
  };
}

/** The `bpflab run` arguments (after the file) that replay a recorded input on the VM, verifier skipped. */
export function replayArgs(r: RecordedInput): string[] {
  const out = ['--no-verify', '--seed', String(r.seed)];
  if (r.packet !== undefined) out.push('--packet', r.packet);
  if (r.ctx !== undefined) out.push('--ctx', r.ctx);
  for (const m of r.maps) out.push('--map', `${m.map}:${m.key}=${m.value}`);
  return out;
}

/** How a VM run ended, in the words `bpflab run --json` uses: r0, or the fault/error kind and pc. */
export function runOutcome(r: RunResult): string {
  if (r.fault) return `fault ${r.fault.kind} at pc ${r.fault.pc}`;
  if (r.error) return `error ${r.error.kind} at pc ${r.error.pc}`;
  return `r0 ${r.r0}`;
}

/**
 * The corpus sidecar of a finding (SPEC section 6), with the fuzz details in an extra field: the
 * recorded input (maps by name) with the `bpflab run` line that replays it and the VM's outcome.
 */
export function expectJson(f: Finding, sig: string, file?: string): Record<string, unknown> {
  const verdict = f.expect ?? f.kernel ?? f.verdict;
  const out: Record<string, unknown> = { verdict };
  if (f.r0 !== undefined && verdict === 'accept') out['r0'] = f.r0;
  if (f.kernel) out['kernel'] = f.kernel;
  out['why'] = `fuzz ${f.oracle}: ${f.message}`;
  const fuzz: Record<string, unknown> = { oracle: f.oracle, kind: f.kind, pc: f.pc, signature: sig, bpflab: f.verdict };
  if (f.input) {
    const rec = recordInput(f.program, f.input);
    fuzz['input'] = rec;
    fuzz['replay'] = ['bpflab', 'run', file ?? 'FILE', ...replayArgs(rec)].map((a) => (/^[\w./:=@,+-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
    if (f.outcome !== undefined) fuzz['outcome'] = f.outcome;
  }
  out['fuzz'] = fuzz;
  return out;
}

/** Whether one instruction's listing assembles back to exactly its slots (with the program's maps declared). */
function lineRoundTrips(program: Program, pc: number, text: string, directives: string): boolean {
  const a = program.insns[pc]!;
  const n = a.code === op.BPF_LD_IMM64 ? 2 : 1;
  try {
    const back = assemble(`${directives}\n${text.replace(/^\s*\d+:\s*\([0-9a-f]{2}\)\s*/, '')}`).insns;
    return back.length === n && back.every((b, i) => {
      const x = program.insns[pc + i];
      return x !== undefined && x.code === b.code && x.dst === b.dst && x.src === b.src && x.off === b.off && x.imm === b.imm;
    });
  } catch {
    return false;
  }
}

const rawSlot = (i: Insn): string => `.insn 0x${i.code.toString(16).padStart(2, '0')} ${i.dst} ${i.src} ${i.off} ${i.imm}`;

/**
 * The program as assembly that assembles back to exactly its instructions: the disassembler's
 * listing, with `.insn CODE DST SRC OFF IMM` raw slots for encodings no statement expresses
 * (reserved fields set, unknown opcodes, a truncated ld_imm64).
 */
export function exactListing(program: Program): string {
  const directives = [`.type ${program.type}`, ...program.maps.map(mapDirective)];
  const lines = [...directives];
  const head = directives.join('\n');
  const { insns } = program;
  for (let pc = 0; pc < insns.length; pc++) {
    const wide = insns[pc]!.code === op.BPF_LD_IMM64 && pc + 1 < insns.length;
    let text: string | null = null;
    try { text = disasmLine(insns, pc, { style: 'bpflab', maps: program.maps }); } catch { /* undecodable: raw */ }
    if (text !== null && lineRoundTrips(program, pc, text, head)) lines.push(text);
    else {
      lines.push(rawSlot(insns[pc]!));
      if (wide) lines.push(rawSlot(insns[pc + 1]!));
    }
    if (wide) pc++;
  }
  return lines.join('\n') + '\n';
}

/** The `.s` text of a finding: a comment header, then the program as `bpflab asm` reads it back exactly. */
export function findingAsm(f: Finding, sig: string): string {
  const head = [`; fuzz finding (${sig})`, `; ${f.message.replace(/[\r\n]+/g, ' ')}`];
  return `${head.join('\n')}\n${exactListing(f.program)}`;
}

/** Whether the `.s` of a program assembles back to exactly its instructions. */
export function roundTrips(program: Program): boolean {
  try {
    const back = assemble(exactListing(program)).insns;
    return back.length === program.insns.length &&
      back.every((b, i) => { const a = program.insns[i]!; return a.code === b.code && a.dst === b.dst && a.src === b.src && a.off === b.off && a.imm === b.imm; });
  } catch {
    return false;
  }
}

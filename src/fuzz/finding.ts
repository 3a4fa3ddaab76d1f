/**
 * Findings: what an oracle reports, how findings are deduplicated (oracle + kind + the opcode at
 * the pc), and how a minimised finding becomes a corpus entry (SPEC section 6): `<name>.s` via
 * the disassembler and `<name>.expect.json` with a one-line `why`.
 */
import type { Insn } from '../isa/insn.js';
import * as op from '../isa/opcodes.js';
import type { Program } from '../isa/program.js';
import { disasmProgram } from '../isa/disasm.js';
import { assemble } from '../isa/asm/index.js';
import { type FuzzInput, hex } from './generators/inputs.js';

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

/** The corpus sidecar of a finding (SPEC section 6), with the fuzz details in an extra field. */
export function expectJson(f: Finding, sig: string): Record<string, unknown> {
  const verdict = f.expect ?? f.kernel ?? f.verdict;
  const out: Record<string, unknown> = { verdict };
  if (f.r0 !== undefined && verdict === 'accept') out['r0'] = f.r0;
  if (f.kernel) out['kernel'] = f.kernel;
  out['why'] = `fuzz ${f.oracle}: ${f.message}`;
  const fuzz: Record<string, unknown> = { oracle: f.oracle, kind: f.kind, pc: f.pc, signature: sig, bpflab: f.verdict };
  if (f.input) {
    fuzz['input'] = {
      packet: hex(f.input.packet), ctx: hex(f.input.ctx), seed: f.input.seed,
      maps: f.input.maps.map((m) => ({ map: m.map, key: hex(m.key), value: hex(m.value) })),
    };
  }
  out['fuzz'] = fuzz;
  return out;
}

/** The `.s` text of a finding: a comment header, then the program as `bpflab asm` reads it back. */
export function findingAsm(f: Finding, sig: string): string {
  const head = [`; fuzz finding (${sig})`, `; ${f.message}`];
  if (f.input && (f.program.type === 'xdp' || f.program.type === 'sched_cls' || f.program.type === 'socket_filter'))
    head.push(`; packet: ${hex(f.input.packet)}`);
  return `${head.join('\n')}\n${disasmProgram(f.program)}`;
}

/** Whether the `.s` of a program assembles back to exactly its instructions (false for e.g. reserved fields set). */
export function roundTrips(program: Program): boolean {
  try {
    const back = assemble(disasmProgram(program)).insns;
    return back.length === program.insns.length &&
      back.every((b, i) => { const a = program.insns[i]!; return a.code === b.code && a.dst === b.dst && a.src === b.src && a.off === b.off && a.imm === b.imm; });
  } catch {
    return false;
  }
}

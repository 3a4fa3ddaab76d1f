/**
 * Verifier coverage as the guided fuzzer sees it: a set of small integer features per program,
 * collected through the verifier's `onInsn` hook (no change to the verifier) and from its result.
 *
 *   insn     (opcode, class of dst, class of src) for every processed instruction: which checks
 *            ran on which operand types and bounds (a map value + a bounded scalar, a packet
 *            pointer compared with packet_end, ...)
 *   branch   (jump opcode, taken or fall-through, class of dst after refinement) for every path
 *            the verifier followed out of a conditional jump: which refinements happened
 *   reject   (error kind, message with numbers blanked) and (error kind, opcode at the failing
 *            pc): which rejection paths were reached
 *   shape    (verdict, log2 of states stored, log2 of processed / length): how much pruning
 *            and path splitting the program caused
 *
 * A register class is its type (NOT_INIT, each pointer base type with may-be-null and
 * variable-offset flags) or, for a scalar, a bounds class (zero, constant, unknown, 32-bit
 * bounded, non-negative, bounded signed, low half known only, other) and its precise mark.
 */
import type { Insn } from '../../isa/insn.js';
import * as op from '../../isa/opcodes.js';
import type { Program } from '../../isa/program.js';
import type { Scalar } from '../../verifier/domains/index.js';
import type { VerifyResult } from '../../verifier/index.js';
import { MAYBE_NULL, T } from '../../verifier/reg-types.js';
import type { Reg, VState } from '../../verifier/state.js';
import { IntSet } from './int-set.js';

const U64_MAX = (1n << 64n) - 1n;
const U32_MAX = 0xffffffffn;
const S64_SIGN = 1n << 63n;

const TAG_INSN = 1 << 24;
const TAG_BRANCH = 2 << 24;
const TAG_REJECT = 3 << 24;
const TAG_REJECT_AT = 4 << 24;
const TAG_SHAPE = 5 << 24;
/** Feature kinds, for reports: the tag in bits 24..27 of a feature. */
export const FEATURE_KINDS = ['insn', 'branch', 'reject', 'reject-at', 'shape'] as const;
export const featureKind = (f: number): string => FEATURE_KINDS[(f >>> 24) - 1] ?? '?';

/** Bounds class of a scalar, 0..7. */
function boundsClass(s: Scalar): number {
  if (s.mask === 0n) return s.value === 0n ? 0 : 1;
  if (s.umin === 0n && s.umax === U64_MAX && s.mask === U64_MAX) return s.u32max === U32_MAX && s.u32min === 0n ? 2 : 6;
  if (s.umax <= U32_MAX) return 3;
  if ((s.smin & S64_SIGN) === 0n) return 4;
  if (s.smin !== S64_SIGN || s.smax !== S64_SIGN - 1n) return 5;
  return 7;
}

/** A register's class, 0..93 (see the file comment). */
export function regClass(r: Reg): number {
  if (r.type === T.NOT_INIT) return 0;
  if (r.type === T.SCALAR) return 1 + boundsClass(r.v) + (r.precise ? 8 : 0);
  const base = r.type & 0xff;
  return 17 + Math.min(base, 18) + ((r.type & MAYBE_NULL) !== 0 ? 19 : 0) + (r.v.mask !== 0n ? 38 : 0);
}

/** Class of an immediate operand, 94..97: zero, small positive, negative, large. */
function immClass(imm: number): number {
  if (imm === 0) return 94;
  if (imm > 0 && imm <= 512) return 95;
  return imm < 0 ? 96 : 97;
}

const isCondJump = (ins: Insn): boolean => {
  const c = op.cls(ins.code);
  if (c !== op.BPF_JMP && c !== op.BPF_JMP32) return false;
  const o = op.jmpOp(ins.code);
  return o !== op.BPF_JA && o !== op.BPF_CALL && o !== op.BPF_EXIT && o !== op.BPF_JCOND;
};

/** Whether the instruction reads its src register (X-source ALU/JMP, loads, stores, atomics). */
function readsSrc(ins: Insn): boolean {
  const c = op.cls(ins.code);
  if (c === op.BPF_LDX || c === op.BPF_STX) return true;
  if (c === op.BPF_ALU || c === op.BPF_ALU64) return op.aluOp(ins.code) !== 0x80 /* neg */ && op.aluOp(ins.code) !== 0xd0 /* end */ && op.srcBit(ins.code) !== 0;
  if (c === op.BPF_JMP || c === op.BPF_JMP32) return isCondJump(ins) && op.srcBit(ins.code) !== 0;
  return false;
}

const READS_SRC = 1;
const COND_JUMP = 2;

const log2Bucket = (n: number): number => (n <= 0 ? 0 : Math.min(15, 32 - Math.clz32(n)));

/** FNV-1a of a string, 24 bits. */
function hash24(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0) & 0xffffff;
}

/** A rejection message with its numbers and register names blanked: the kind of check, not the instance. */
export function normaliseMessage(message: string): string {
  return message.split('\n')[0]!.replace(/\bR\d+\b/g, 'R').replace(/\bfp-?\d+\b/g, 'fp').replace(/-?(0x[0-9a-f]+|\d+)/gi, 'N');
}

/**
 * Collects the features of one verification at a time: `begin(program)` returns the onInsn hook
 * to pass to the verifier, `end(result)` the program's features (valid until the next begin).
 */
export class FeatureCollector {
  private readonly seen = new IntSet();
  private insns: readonly Insn[] = [];
  /** Per pc of the program begun: READS_SRC, COND_JUMP (decoded once per program, not per processed insn). */
  private kinds = new Uint8Array(64);

  readonly onInsn = (pc: number, st: VState): void => {
    const insns = this.insns;
    const ins = insns[pc];
    if (!ins) return;
    const kinds = this.kinds;
    const regs = st.frames[st.frames.length - 1]!.regs;
    const dst = ins.dst <= 10 ? regClass(regs[ins.dst]!) : 127;
    const src = (kinds[pc]! & READS_SRC) !== 0 ? (ins.src <= 10 ? regClass(regs[ins.src]!) : 127) : immClass(ins.imm);
    this.seen.add(TAG_INSN | (ins.code << 14) | (dst << 7) | src);
    const prevPc = st.prevPc;
    if (prevPc >= 0 && prevPc < insns.length && (kinds[prevPc]! & COND_JUMP) !== 0) {
      const prev = insns[prevPc]!;
      const taken = pc !== prevPc + 1 ? 1 : 0;
      const refined = prev.dst <= 10 ? regClass(regs[prev.dst]!) : 127;
      this.seen.add(TAG_BRANCH | (prev.code << 8) | (taken << 7) | refined);
    }
  };

  begin(program: Program): void {
    this.seen.clear();
    const insns = program.insns;
    this.insns = insns;
    if (this.kinds.length < insns.length) this.kinds = new Uint8Array(Math.max(insns.length, 2 * this.kinds.length));
    const kinds = this.kinds;
    for (let pc = 0; pc < insns.length; pc++) {
      const ins = insns[pc]!;
      kinds[pc] = (readsSrc(ins) ? READS_SRC : 0) | (isCondJump(ins) ? COND_JUMP : 0);
    }
  }

  /** The last program's rejection as `kind|normalised message` (set by end(); null when accepted or when the verifier threw). */
  rejection: string | null = null;

  /** The features of the program since begin(); `result` null when the verifier threw. */
  end(result: VerifyResult | null): IntSet {
    this.rejection = null;
    if (result) {
      const e = result.error;
      if (e) {
        this.rejection = `${e.kind}|${normaliseMessage(e.message)}`;
        this.seen.add(TAG_REJECT | hash24(this.rejection));
        this.seen.add(TAG_REJECT_AT | (hash24(e.kind) & 0xffff) << 8 | (this.insns[e.pc]?.code ?? 0xff));
      }
      const ratio = this.insns.length > 0 ? Math.floor(result.processed / this.insns.length) : 0;
      this.seen.add(TAG_SHAPE | (result.verdict === 'accept' ? 1 << 8 : 0) | (log2Bucket(result.states) << 4) | log2Bucket(ratio));
    } else {
      this.seen.add(TAG_REJECT);
    }
    return this.seen;
  }
}

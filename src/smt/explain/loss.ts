/**
 * Why a false alarm's fact was lost: a backward slice from the imprecise instruction over the
 * registers it wrote, their sources, and the branches of the path that constrain those sources,
 * read against the verifier's own states along the path. One class per answer, naming the
 * registers and instructions involved.
 */
import { disasmInsn } from '../../isa/disasm.js';
import type { Insn } from '../../isa/insn.js';
import * as op from '../../isa/opcodes.js';
import type { Program } from '../../isa/program.js';
import type { AbsReg } from './abstract.js';

export type LossClass =
  | 'lost_relation' | 'join' | 'spill_fill' | 'truncation_32bit' | 'helper_return'
  | 'pruning' | 'loop_widening' | 'unmodelled_construct';

export interface Loss {
  cls: LossClass;
  /** One or two sentences naming registers and instructions. */
  why: string;
  /** The instructions involved (the imprecise one first). */
  pcs: number[];
}

type Regs = readonly (AbsReg | undefined)[];

/** Registers an instruction reads for the value it writes to dst. */
function sources(ins: Insn): number[] {
  const c = op.cls(ins.code);
  if (c === op.BPF_ALU || c === op.BPF_ALU64) {
    const o = op.aluOp(ins.code);
    const x = op.srcBit(ins.code) === op.BPF_X;
    if (o === op.BPF_MOV) return x ? [ins.src] : [];
    if (o === op.BPF_NEG || o === op.BPF_END) return [ins.dst];
    return x ? [ins.dst, ins.src] : [ins.dst];
  }
  return [];
}

const same = (a: AbsReg | undefined, b: AbsReg | undefined): boolean => (a?.text ?? '') === (b?.text ?? '');
const writes = (ins: Insn, r: number): boolean => {
  const c = op.cls(ins.code);
  if ((c === op.BPF_ALU || c === op.BPF_ALU64 || c === op.BPF_LDX || ins.code === op.BPF_LD_IMM64) && ins.dst === r) return true;
  return (c === op.BPF_JMP || c === op.BPF_JMP32) && op.jmpOp(ins.code) === op.BPF_CALL && r <= 5;
};

/**
 * Classifies the loss at path index `found` (the imprecise step) for registers `regs` written
 * there. `before[i]` holds the verifier's registers before path[i]; `loopHeads` marks loop heads.
 */
export function classifyLoss(p: Program, path: readonly number[], before: readonly Regs[], found: number, regs: readonly number[], loopHeads?: ArrayLike<number>): Loss {
  const n = path.length;
  const pc = path[found]!;
  const ins = p.insns[pc]!;
  const text = (x: number): string => `insn ${x} (\`${disasmInsn(p.insns, x)}\`)`;
  const R = regs.map((r) => `R${r}`).join(', ') || 'the registers it writes';
  const c = op.cls(ins.code);
  const isJmp = c === op.BPF_JMP || c === op.BPF_JMP32;

  if (found === n - 1) {
    return { cls: 'unmodelled_construct', pcs: [pc], why: `the verifier's own check at ${text(pc)} is coarser than its state: what it admits there no real value on this path reaches (a construct its checks do not model exactly)` };
  }
  // registers the verifier changed across this step although the instruction does not write them: a join (or widening at a loop head)
  const changedUnwritten = regs.filter((r) => !writes(ins, r) && !same(before[found]![r], before[found + 1]![r]) && !isJmp);
  if (changedUnwritten.length) {
    const head = loopHeads?.[path[found + 1]!];
    return {
      cls: head ? 'loop_widening' : 'join',
      pcs: [pc, path[found + 1]!],
      why: `entering insn ${path[found + 1]} the verifier's state for ${changedUnwritten.map((r) => `R${r}`).join(', ')} is ${head ? 'widened at a loop head' : 'the join of the paths that meet there'}, wider than what this path brings`,
    };
  }
  // a later branch of the path bounds a source of the written value, but not the value itself: the relation is lost
  const srcs = sources(ins);
  const srcOf = new Set(srcs);
  // linked copies (same id) of a source carry the same value
  for (const s of srcs) {
    const a = before[found]![s];
    if (a?.kind === 'scalar' && a.id) for (let r = 0; r < 10; r++) { const b = before[found]![r]; if (b?.kind === 'scalar' && b.id === a.id) srcOf.add(r); }
  }
  for (const r of regs) srcOf.delete(r);
  for (let b = found + 1; b < n - 1; b++) {
    const bi = p.insns[path[b]!]!;
    for (const s of [...srcOf]) if (writes(bi, s)) srcOf.delete(s);
    if (!(op.cls(bi.code) === op.BPF_JMP || op.cls(bi.code) === op.BPF_JMP32)) continue;
    const o = op.jmpOp(bi.code);
    if (o === op.BPF_JA || o === op.BPF_CALL || o === op.BPF_EXIT) continue;
    const tested = [bi.dst, ...(op.srcBit(bi.code) === op.BPF_X ? [bi.src] : [])].filter((r) => srcOf.has(r));
    const narrowed = tested.filter((r) => !same(before[b]![r], before[b + 1]![r]));
    if (narrowed.length) {
      const y = narrowed.map((r) => `R${r}`).join(', ');
      return {
        cls: 'lost_relation',
        pcs: [pc, path[b]!],
        why: `${R} is computed from ${y} at ${text(pc)}; the check at ${text(path[b]!)} bounds ${y} but tells the verifier nothing about ${R}: it keeps one range per register and links only plain copies, so the relation between ${R} and ${y} is lost`,
      };
    }
  }
  // both operands of the operation hold related values (x - x, x ^ x ...)
  if ((c === op.BPF_ALU || c === op.BPF_ALU64) && op.srcBit(ins.code) === op.BPF_X && op.aluOp(ins.code) !== op.BPF_MOV) {
    const a = before[found]![ins.dst];
    const b = before[found]![ins.src];
    if (ins.dst === ins.src || (a?.kind === 'scalar' && b?.kind === 'scalar' && a.id && a.id === b.id)) {
      return { cls: 'lost_relation', pcs: [pc], why: `at ${text(pc)} R${ins.dst} and R${ins.src} hold the same value, but the verifier combines their ranges as if they were independent: the relation between the operands is lost` };
    }
  }
  if (c === op.BPF_LDX && ins.src === 10) {
    // the spill this fill reads
    let spill = -1;
    for (let k = found - 1; k >= 0; k--) {
      const x = p.insns[path[k]!]!;
      if ((op.cls(x.code) === op.BPF_STX || op.cls(x.code) === op.BPF_ST) && x.dst === 10 && x.off === ins.off) { spill = path[k]!; break; }
    }
    return { cls: 'spill_fill', pcs: spill >= 0 ? [pc, spill] : [pc], why: `${R} is filled from the stack (fp${ins.off}) at ${text(pc)}${spill >= 0 ? `; what ${text(spill)} spilled there comes back as a wider value (a narrower-than-8-byte or imprecise spill keeps no bounds)` : ': the slot holds no spilled register the verifier tracks'}` };
  }
  if (c === op.BPF_ALU || (c === op.BPF_LDX && op.size(ins.code) !== op.BPF_DW) || (c === op.BPF_ALU64 && op.aluOp(ins.code) === op.BPF_MOV && ins.off !== 0)) {
    return { cls: 'truncation_32bit', pcs: [pc], why: `${text(pc)} works on the low 32 bits of ${R}; the verifier's 64-bit range of the result loses what the path knew about the full value` };
  }
  if (isJmp && op.jmpOp(ins.code) === op.BPF_CALL) {
    return { cls: 'helper_return', pcs: [pc], why: `the helper call at ${text(pc)} returns ${R} with the range of its return type; nothing on the path refines it to what this path can get` };
  }
  if (isJmp) {
    return { cls: 'unmodelled_construct', pcs: [pc], why: `the branch at ${text(pc)} refines ${R} less than the comparison allows (the verifier refines ranges, not relations between registers)` };
  }
  return { cls: 'unmodelled_construct', pcs: [pc], why: `the verifier's range arithmetic for ${text(pc)} over-approximates ${R} (its domain keeps a tnum and ranges per register, no exact ${(/^\S+ (\S+)/.exec(disasmInsn(p.insns, pc))?.[1] ?? 'operation')})` };
}

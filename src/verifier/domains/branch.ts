/**
 * Conditional jumps on two scalars: the branch decision (is_scalar_branch_taken) and the
 * refinement of both operands on each side (regs_refine_cond_op, reg_set_min_max), as
 * kernel/bpf/verifier.c 6.18. A BPF_K jump compares with a constant scalar (known(imm)).
 */
import type { Kernel } from './kernel.js';
import { assignReg, copyReg, pickReg, selectReg, type Reg } from './scalar.js';

export type JmpOp = 'jeq' | 'jne' | 'jset' | 'jgt' | 'jge' | 'jlt' | 'jle' | 'jsgt' | 'jsge' | 'jslt' | 'jsle';
export const JMP_OPS: readonly JmpOp[] = ['jeq', 'jne', 'jset', 'jgt', 'jge', 'jlt', 'jle', 'jsgt', 'jsge', 'jslt', 'jsle'];
/** The internal opcode of the false side of JSET (the kernel's BPF_JSET | BPF_X). */
export type CondOp = JmpOp | 'jset_rev';

/** a <op> b  ==  b <flip(op)> a */
export function flipOpcode(op: CondOp): CondOp {
  switch (op) {
    case 'jge': return 'jle';
    case 'jgt': return 'jlt';
    case 'jle': return 'jge';
    case 'jlt': return 'jgt';
    case 'jsge': return 'jsle';
    case 'jsgt': return 'jslt';
    case 'jsle': return 'jsge';
    case 'jslt': return 'jsgt';
    default: return op;
  }
}

/** The condition of the fall-through side. */
export function revOpcode(op: CondOp): CondOp {
  switch (op) {
    case 'jeq': return 'jne';
    case 'jne': return 'jeq';
    case 'jset': return 'jset_rev';
    case 'jset_rev': return 'jset';
    case 'jge': return 'jlt';
    case 'jgt': return 'jle';
    case 'jle': return 'jgt';
    case 'jlt': return 'jge';
    case 'jsge': return 'jslt';
    case 'jsgt': return 'jsle';
    case 'jsle': return 'jsgt';
    case 'jslt': return 'jsge';
  }
}

/** is_reg_const / reg_const_value at the jump's width. */
function isRegConst<T, B>(k: Kernel<T, B>, r: Reg<T>, jmp32: boolean): B {
  return jmp32 ? k.t.subregIsConst(r) : k.t.isConst(r);
}
function regConstValue<T, B>(k: Kernel<T, B>, r: Reg<T>, jmp32: boolean): T {
  return jmp32 ? k.A.zext(k.lo(r.value), k.H, k.N) : r.value;
}

/**
 * is_scalar_branch_taken: 1 (always taken), 0 (never taken) or -1 (unknown), as an N-bit value
 * (one, zero, all ones) so that it is a term of the algebra. The kernel's early returns become a
 * chain of ites in the same order.
 */
export function branchTaken<T, B>(k: Kernel<T, B>, op: JmpOp, jmp32: boolean, a: Reg<T>, b: Reg<T>): T {
  const { A, n, h, t, N, H } = k;
  const ONE = n.one, ZERO = n.zero, UNK = n.ones;
  const z = (x: T): T => A.zext(x, H, N);
  const sx = (x: T): T => A.sext(x, H, N);
  const t1 = jmp32 ? t.subreg(a) : a;
  const t2 = jmp32 ? t.subreg(b) : b;
  const umin1 = jmp32 ? z(a.u32min) : a.umin, umax1 = jmp32 ? z(a.u32max) : a.umax;
  const smin1 = jmp32 ? sx(a.s32min) : a.smin, smax1 = jmp32 ? sx(a.s32max) : a.smax;
  const umin2 = jmp32 ? z(b.u32min) : b.umin, umax2 = jmp32 ? z(b.u32max) : b.umax;
  const smin2 = jmp32 ? sx(b.s32min) : b.smin, smax2 = jmp32 ? sx(b.s32max) : b.smax;
  const chain = (cases: [B, T][]): T => cases.reduceRight<T>((acc, [c, v]) => n.ite(c, v, acc), UNK);
  switch (op) {
    case 'jeq':
    case 'jne': {
      const [yes, no] = op === 'jeq' ? [ONE, ZERO] : [ZERO, ONE];
      const cases: [B, T][] = [
        [A.and(t.isConst(t1), t.isConst(t2)), n.ite(n.eq(t1.value, t2.value), yes, no)],
        // 6.18: known bits that disagree decide before the ranges do (tnum_overlap)
        [A.not(t.overlap(t1, t2)), no],
        [A.or(n.ugt(umin1, umax2), n.ult(umax1, umin2)), no],
        [A.or(n.sgt(smin1, smax2), n.slt(smax1, smin2)), no],
      ];
      if (!jmp32) {
        // 64-bit ranges inconclusive: disjoint 32-bit subranges still decide.
        cases.push([A.or(h.ugt(a.u32min, b.u32max), h.ult(a.u32max, b.u32min)), no]);
        cases.push([A.or(h.sgt(a.s32min, b.s32max), h.slt(a.s32max, b.s32min)), no]);
      }
      return chain(cases);
    }
    case 'jset': {
      // Make the second operand the constant one if the first is.
      const swap = A.not(isRegConst(k, b, jmp32));
      const x = t.ite(swap, t2, t1);
      const y = t.ite(swap, t1, t2);
      const yConst = A.iteB(swap, isRegConst(k, a, jmp32), isRegConst(k, b, jmp32));
      return chain([
        [A.not(yConst), UNK],
        [n.ne(n.and(n.and(n.not(x.mask), x.value), y.value), n.zero), ONE],
        [n.isZero(n.and(n.or(x.mask, x.value), y.value)), ZERO],
      ]);
    }
    case 'jgt': return chain([[n.ugt(umin1, umax2), ONE], [n.ule(umax1, umin2), ZERO]]);
    case 'jsgt': return chain([[n.sgt(smin1, smax2), ONE], [n.sle(smax1, smin2), ZERO]]);
    case 'jlt': return chain([[n.ult(umax1, umin2), ONE], [n.uge(umin1, umax2), ZERO]]);
    case 'jslt': return chain([[n.slt(smax1, smin2), ONE], [n.sge(smin1, smax2), ZERO]]);
    case 'jge': return chain([[n.uge(umin1, umax2), ONE], [n.ult(umax1, umin2), ZERO]]);
    case 'jsge': return chain([[n.sge(smin1, smax2), ONE], [n.slt(smax1, smin2), ZERO]]);
    case 'jle': return chain([[n.ule(umax1, umin2), ONE], [n.ugt(umin1, umax2), ZERO]]);
    case 'jsle': return chain([[n.sle(smax1, smin2), ONE], [n.sgt(smin1, smax2), ZERO]]);
  }
}

/**
 * regs_refine_cond_op: narrow r1 and r2 (mutated) assuming "r1 <op> r2" holds.
 * GE/GT/SGE/SGT reuse the LE/LT/SLE/SLT logic with the operands swapped.
 */
export function refineCondOp<T, B>(k: Kernel<T, B>, r1in: Reg<T>, r2in: Reg<T>, opIn: CondOp, jmp32: boolean): void {
  const { A, n, h, t } = k;
  let op = opIn;
  let r1 = r1in;
  let r2 = r2in;
  if (op === 'jge' || op === 'jgt' || op === 'jsge' || op === 'jsgt') {
    op = flipOpcode(op);
    [r1, r2] = [r2, r1];
  }
  switch (op) {
    case 'jeq':
      if (jmp32) {
        r1.u32min = h.umax(r1.u32min, r2.u32min);
        r1.u32max = h.umin(r1.u32max, r2.u32max);
        r1.s32min = h.smax(r1.s32min, r2.s32min);
        r1.s32max = h.smin(r1.s32max, r2.s32max);
        r2.u32min = r1.u32min; r2.u32max = r1.u32max; r2.s32min = r1.s32min; r2.s32max = r1.s32max;
        const v = t.intersect(t.subreg(r1), t.subreg(r2));
        const a = t.withSubreg(r1, v);
        const b = t.withSubreg(r2, v);
        r1.value = a.value; r1.mask = a.mask; r2.value = b.value; r2.mask = b.mask;
      } else {
        r1.umin = n.umax(r1.umin, r2.umin);
        r1.umax = n.umin(r1.umax, r2.umax);
        r1.smin = n.smax(r1.smin, r2.smin);
        r1.smax = n.smin(r1.smax, r2.smax);
        r2.umin = r1.umin; r2.umax = r1.umax; r2.smin = r1.smin; r2.smax = r1.smax;
        const v = t.intersect(r1, r2);
        r1.value = v.value; r1.mask = v.mask; r2.value = v.value; r2.mask = v.mask;
      }
      return;
    case 'jne':
    case 'jset':
    case 'jset_rev': {
      // Only against a constant: make r2 the constant one (if either is), refine r1.
      const swap = A.not(isRegConst(k, r2, jmp32));
      // x, y and xr are only read (pickReg shares, does not copy); r1 and r2 are written at the end.
      const x = pickReg(k, swap, r2, r1);
      const y = pickReg(k, swap, r1, r2);
      const c = isRegConst(k, y, jmp32);
      const val = regConstValue(k, y, jmp32);
      const x2 = copyReg(x);
      if (op === 'jne') {
        // A constant at the edge of the range moves the edge by one.
        const lv = k.lo(val);
        if (jmp32) {
          x2.u32min = h.ite(h.eq(x.u32min, lv), h.add(x.u32min, h.one), x.u32min);
          x2.u32max = h.ite(h.eq(x.u32max, lv), h.sub(x.u32max, h.one), x.u32max);
          x2.s32min = h.ite(h.eq(x.s32min, lv), h.add(x.s32min, h.one), x.s32min);
          x2.s32max = h.ite(h.eq(x.s32max, lv), h.sub(x.s32max, h.one), x.s32max);
        } else {
          x2.umin = n.ite(n.eq(x.umin, val), n.add(x.umin, n.one), x.umin);
          x2.umax = n.ite(n.eq(x.umax, val), n.sub(x.umax, n.one), x.umax);
          x2.smin = n.ite(n.eq(x.smin, val), n.add(x.smin, n.one), x.smin);
          x2.smax = n.ite(n.eq(x.smax, val), n.sub(x.smax, n.one), x.smax);
        }
      } else if (op === 'jset') {
        // "r1 & val" true teaches something only for a single bit: that bit is set.
        const pow2 = A.and(n.ne(val, n.zero), n.isZero(n.and(val, n.sub(val, n.one))));
        const v = jmp32 ? t.withSubreg(x, t.or(t.subreg(x), t.const(val))) : t.or(x, t.const(val));
        x2.value = n.ite(pow2, v.value, x.value);
        x2.mask = n.ite(pow2, v.mask, x.mask);
      } else {
        // "r1 & val" false: every bit of val is clear. Since 6.17 the kernel forgets the ranges
        // first (__mark_reg_unbounded: a dead branch must not leave them inverted) and lets
        // reg_bounds_sync rebuild them from the narrowed tnum.
        k.mark64Unbounded(x2);
        k.mark32Unbounded(x2);
        const v = jmp32 ? t.withSubreg(x, t.and(t.subreg(x), t.const(n.not(val)))) : t.and(x, t.const(n.not(val)));
        x2.value = v.value;
        x2.mask = v.mask;
      }
      const xr = pickReg(k, c, x2, x);
      // Undo the swap: r1 gets x when not swapped. Both are built before either is written.
      const n1 = selectReg(k, swap, y, xr);
      const n2 = selectReg(k, swap, xr, y);
      assignReg(r1, n1);
      assignReg(r2, n2);
      return;
    }
    case 'jle':
      if (jmp32) {
        r1.u32max = h.umin(r1.u32max, r2.u32max);
        r2.u32min = h.umax(r1.u32min, r2.u32min);
      } else {
        r1.umax = n.umin(r1.umax, r2.umax);
        r2.umin = n.umax(r1.umin, r2.umin);
      }
      return;
    case 'jlt':
      if (jmp32) {
        r1.u32max = h.umin(r1.u32max, h.sub(r2.u32max, h.one));
        r2.u32min = h.umax(h.add(r1.u32min, h.one), r2.u32min);
      } else {
        r1.umax = n.umin(r1.umax, n.sub(r2.umax, n.one));
        r2.umin = n.umax(n.add(r1.umin, n.one), r2.umin);
      }
      return;
    case 'jsle':
      if (jmp32) {
        r1.s32max = h.smin(r1.s32max, r2.s32max);
        r2.s32min = h.smax(r1.s32min, r2.s32min);
      } else {
        r1.smax = n.smin(r1.smax, r2.smax);
        r2.smin = n.smax(r1.smin, r2.smin);
      }
      return;
    case 'jslt':
      if (jmp32) {
        r1.s32max = h.smin(r1.s32max, h.sub(r2.s32max, h.one));
        r2.s32min = h.smax(h.add(r1.s32min, h.one), r2.s32min);
      } else {
        r1.smax = n.smin(r1.smax, n.sub(r2.smax, n.one));
        r2.smin = n.smax(n.add(r1.smin, n.one), r2.smin);
      }
      return;
    default:
      return;
  }
}

export interface Refined<T> {
  taken: [Reg<T>, Reg<T>];
  fall: [Reg<T>, Reg<T>];
}

/** reg_set_min_max: both sides of "a <op> b", each refined then synchronised. */
export function setMinMax<T, B>(k: Kernel<T, B>, op: JmpOp, jmp32: boolean, a: Reg<T>, b: Reg<T>): Refined<T> {
  const fa = copyReg(a), fb = copyReg(b);
  k.refineCondOp(fa, fb, revOpcode(op), jmp32);
  k.regBoundsSync(fa);
  k.regBoundsSync(fb);
  const ta = copyReg(a), tb = copyReg(b);
  k.refineCondOp(ta, tb, op, jmp32);
  k.regBoundsSync(ta);
  k.regBoundsSync(tb);
  return { taken: [ta, tb], fall: [fa, fb] };
}

/**
 * reg_set_min_max on a register compared with itself ("if r8 < r8"): the kernel refines both
 * operands in place, so each side's refinement applies twice to the one register (x < x leaves
 * [min + 1, max - 1]). A side left inconsistent fails reg_bounds_sanity_check, which forgets the
 * ranges (__mark_reg_unbounded, var_off kept) and goes on.
 */
export function setMinMaxSelf<T, B>(k: Kernel<T, B>, op: JmpOp, jmp32: boolean, a: Reg<T>): SelfRefined<T> {
  const side = (o: CondOp): [Reg<T>, Reg<T>] => {
    const r = copyReg(a);
    k.refineCondOp(r, r, o, jmp32);
    k.regBoundsSync(r);
    k.regBoundsSync(r);
    const reset = copyReg(r);
    k.mark64Unbounded(reset);
    k.mark32Unbounded(reset);
    return [selectReg(k, k.sane(r), r, reset), r];
  };
  const [fall, fallRefined] = side(revOpcode(op));
  const [taken, takenRefined] = side(op);
  return { fall, taken, fallRefined, takenRefined };
}

/** Both sides of a self-comparison, and each side as refined before the sanity check (for its report). */
export interface SelfRefined<T> { taken: Reg<T>; fall: Reg<T>; takenRefined: Reg<T>; fallRefined: Reg<T> }

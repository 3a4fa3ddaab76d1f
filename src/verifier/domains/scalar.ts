/**
 * The reduced product of the kernel's scalar state (struct bpf_reg_state, scalar part): a tnum
 * (value; mask) and four ranges, u64/s64 over the whole register and u32/s32 over its low half.
 * Signed bounds are stored as two's complement patterns and compared signed. This file holds the
 * constructors and the synchronisation that makes the five components agree (reg_bounds_sync),
 * as kernel/bpf/verifier.c 6.18.
 *
 * The functions mutate a working copy, as the kernel does; public operations copy first.
 * Widths: N is the register width (64), H = N / 2 the subregister (32). Tests scale N down to 8.
 */
import type { BVx } from './algebra.js';
import type { Kernel } from './kernel.js';

export interface Reg<T> {
  value: T;
  mask: T;
  umin: T;
  umax: T;
  smin: T;
  smax: T;
  u32min: T;
  u32max: T;
  s32min: T;
  s32max: T;
  /**
   * Not part of the abstract value: the number the scalar memo gave this object (memo.ts), valid
   * while `memoGen` is that memo's current numbering. Only the memo writes them, once per object
   * and numbering; every state made here starts without (both undefined, listed so that every
   * state shares one object layout). A copy that changes any field must be made with copyReg (a
   * spread would keep the number of the value it came from).
   */
  memoGen?: object | undefined;
  memoNo?: number | undefined;
}

export const REG_FIELDS = ['value', 'mask', 'umin', 'umax', 'smin', 'smax', 'u32min', 'u32max', 's32min', 's32max'] as const;
/** Fields that are H bits wide; the rest are N bits. */
export const HALF_FIELDS: ReadonlySet<string> = new Set(['u32min', 'u32max', 's32min', 's32max']);

export function copyReg<T>(r: Reg<T>): Reg<T> {
  return {
    value: r.value, mask: r.mask, umin: r.umin, umax: r.umax, smin: r.smin, smax: r.smax,
    u32min: r.u32min, u32max: r.u32max, s32min: r.s32min, s32max: r.s32max, memoGen: undefined, memoNo: undefined,
  };
}

/** Field-wise choice between two states (both computed; bigint picks one without merging). */
export function selectReg<T, B>(k: Kernel<T, B>, c: B, a: Reg<T>, b: Reg<T>): Reg<T> {
  const kn = k.A.known(c);
  if (kn !== undefined) return copyReg(kn ? a : b);
  const { n, h } = k;
  return {
    value: n.ite(c, a.value, b.value), mask: n.ite(c, a.mask, b.mask),
    umin: n.ite(c, a.umin, b.umin), umax: n.ite(c, a.umax, b.umax),
    smin: n.ite(c, a.smin, b.smin), smax: n.ite(c, a.smax, b.smax),
    u32min: h.ite(c, a.u32min, b.u32min), u32max: h.ite(c, a.u32max, b.u32max),
    s32min: h.ite(c, a.s32min, b.s32min), s32max: h.ite(c, a.s32max, b.s32max), memoGen: undefined, memoNo: undefined,
  };
}

/** selectReg for states only read afterwards: a known c returns a or b itself, without a copy. */
export function pickReg<T, B>(k: Kernel<T, B>, c: B, a: Reg<T>, b: Reg<T>): Reg<T> {
  const kn = k.A.known(c);
  if (kn !== undefined) return kn ? a : b;
  return selectReg(k, c, a, b);
}

/**
 * selectReg of two states built on demand: when c is known (running) only the chosen one is built,
 * so the other side's work is skipped; symbolic c builds both and selects field-wise.
 */
export function chooseReg<T, B>(k: Kernel<T, B>, c: B, a: () => Reg<T>, b: () => Reg<T>): Reg<T> {
  const kn = k.A.known(c);
  if (kn === true) return a();
  if (kn === false) return b();
  return selectReg(k, c, a(), b());
}

/** Overwrites r with s (used after a field-wise select). */
export function assignReg<T>(r: Reg<T>, s: Reg<T>): void {
  r.value = s.value; r.mask = s.mask; r.umin = s.umin; r.umax = s.umax; r.smin = s.smin; r.smax = s.smax;
  r.u32min = s.u32min; r.u32max = s.u32max; r.s32min = s.s32min; r.s32max = s.s32max;
}

/** __mark_reg_known: every component is the constant. */
export function markKnown<T, B>(k: Kernel<T, B>, r: Reg<T>, v: T): void {
  const lo = k.lo(v);
  r.value = v; r.mask = k.n.zero;
  r.umin = v; r.umax = v; r.smin = v; r.smax = v;
  r.u32min = lo; r.u32max = lo; r.s32min = lo; r.s32max = lo;
}

/** __mark_reg32_known: the subregister is the constant, the upper half of var_off is kept. */
export function markReg32Known<T, B>(k: Kernel<T, B>, r: Reg<T>, v: T): void {
  const lo = k.lo(v);
  const t = k.t.constSubreg(r, k.A.zext(lo, k.H, k.N));
  r.value = t.value; r.mask = t.mask;
  r.u32min = lo; r.u32max = lo; r.s32min = lo; r.s32max = lo;
}

export function mark64Unbounded<T, B>(k: Kernel<T, B>, r: Reg<T>): void {
  r.smin = k.n.sminv; r.smax = k.n.smaxv; r.umin = k.n.zero; r.umax = k.n.ones;
}

export function mark32Unbounded<T, B>(k: Kernel<T, B>, r: Reg<T>): void {
  r.s32min = k.h.sminv; r.s32max = k.h.smaxv; r.u32min = k.h.zero; r.u32max = k.h.ones;
}

/** __mark_reg_unknown: nothing known. */
export function markUnknown<T, B>(k: Kernel<T, B>, r: Reg<T>): void {
  r.value = k.n.zero; r.mask = k.n.ones;
  k.mark64Unbounded(r);
  k.mark32Unbounded(r);
}

/**
 * False only when c is known to be false. Guards a block whose every assignment is
 * `x = ite(c', ..., x)` with c' implying c: skipping it then changes nothing, and a symbolic c
 * (when proving) always runs it, so the proven terms are those of the unguarded code.
 */
function may<T, B>(A: Kernel<T, B>['A'], c: B): boolean {
  return A.known(c) !== false;
}

/** __update_reg32_bounds: bounds implied by the low half of var_off. */
export function updateReg32Bounds<T, B>(k: Kernel<T, B>, r: Reg<T>): void {
  const { h } = k;
  const v = k.lo(r.value);
  const m = k.lo(r.mask);
  // min signed is max(sign bit) | min(other bits); max signed is min(sign bit) | max(other bits)
  r.s32min = h.smax(r.s32min, h.or(v, h.and(m, h.sminv)));
  r.s32max = h.smin(r.s32max, h.or(v, h.and(m, h.smaxv)));
  r.u32min = h.umax(r.u32min, v);
  r.u32max = h.umin(r.u32max, h.or(v, m));
}

/** __update_reg64_bounds: the ranges from var_off, then 6.18.y's single-value check. */
export function updateReg64Bounds<T, B>(k: Kernel<T, B>, r: Reg<T>): void {
  updateReg64Ranges(k, r);
  k.reg64SingleValue(r);
}

/** The ranges' part of __update_reg64_bounds. */
export function updateReg64Ranges<T, B>(k: Kernel<T, B>, r: Reg<T>): void {
  const { n } = k;
  r.smin = n.smax(r.smin, n.or(r.value, n.and(r.mask, n.sminv)));
  r.smax = n.smin(r.smax, n.or(r.value, n.and(r.mask, n.smaxv)));
  r.umin = n.umax(r.umin, r.value);
  r.umax = n.umin(r.umax, n.or(r.value, r.mask));
}

/** A u64 range and a tnum that overlap in a single value: the register is that constant (6.18.y). */
export function reg64SingleValue<T, B>(k: Kernel<T, B>, r: Reg<T>): void {
  const { A, n } = k;
  // Even a constant tnum goes through (its value is then tmax): ranges that exclude it become it.
  const tmax = n.or(r.value, r.mask);
  const next = k.t.step(r, r.umin);
  const uminIn = n.eq(n.and(r.umin, n.not(r.mask)), r.value);
  const onlyUmin = A.and(uminIn, n.ugt(next, r.umax));
  const onlyTmax = A.and(A.not(uminIn), n.eq(next, tmax));
  // (running, the second step is needed only when the first lands inside the range)
  const inside = A.and(A.not(uminIn), n.ule(next, r.umax));
  const onlyNext = A.known(inside) === false ? inside : A.and(inside, n.ugt(k.t.step(r, next), r.umax));
  const single = A.or(onlyUmin, onlyTmax, onlyNext);
  if (A.known(single) === false) return;
  const c = copyReg(r);
  markKnown(k, c, n.ite(onlyUmin, r.umin, n.ite(onlyTmax, tmax, next)));
  assignReg(r, selectReg(k, single, c, r));
}

export function updateRegBounds<T, B>(k: Kernel<T, B>, r: Reg<T>): void {
  k.updateReg32Bounds(r);
  k.updateReg64Bounds(r);
}

/** __reg32_deduce_bounds: 32-bit bounds from the 64-bit ones and from each other. */
export function reg32DeduceBounds<T, B>(k: Kernel<T, B>, r: Reg<T>): void {
  const { A, n, h, H } = k;
  // Each guarded block changes r only where its condition holds: when the condition is known false
  // (running with concrete bounds) the block would be the identity and is skipped.
  // Upper halves of the u64 range equal: the low halves form a u32 range (and an s32 one if ordered).
  const sameU = n.eq(n.lshrk(r.umin, H), n.lshrk(r.umax, H));
  let lmin = k.lo(r.umin);
  let lmax = k.lo(r.umax);
  if (may(A, sameU)) {
    r.u32min = h.ite(sameU, h.umax(r.u32min, lmin), r.u32min);
    r.u32max = h.ite(sameU, h.umin(r.u32max, lmax), r.u32max);
    const sameUs = A.and(sameU, h.sle(lmin, lmax));
    r.s32min = h.ite(sameUs, h.smax(r.s32min, lmin), r.s32min);
    r.s32max = h.ite(sameUs, h.smin(r.s32max, lmax), r.s32max);
  }
  // Same for the s64 range (arithmetic shift of the upper half).
  const sameS = n.eq(n.ashrk(r.smin, H), n.ashrk(r.smax, H));
  lmin = k.lo(r.smin);
  lmax = k.lo(r.smax);
  if (may(A, sameS)) {
    const sameSu = A.and(sameS, h.ule(lmin, lmax));
    r.u32min = h.ite(sameSu, h.umax(r.u32min, lmin), r.u32min);
    r.u32max = h.ite(sameSu, h.umin(r.u32max, lmax), r.u32max);
    const sameSs = A.and(sameS, h.sle(lmin, lmax));
    r.s32min = h.ite(sameSs, h.smax(r.s32min, lmin), r.s32min);
    r.s32max = h.ite(sameSs, h.smin(r.s32max, lmax), r.s32max);
  }
  // Upper halves are two consecutive numbers and the low halves go from negative to
  // non-negative: the low halves still form an s32 range.
  lmin = k.lo(r.umin);
  lmax = k.lo(r.umax);
  const crossU = A.and(h.neg0(lmin), A.not(h.neg0(lmax)));
  if (may(A, crossU)) {
    const crossU2 = A.and(crossU, h.eq(h.add(k.lo(n.lshrk(r.umin, H)), h.one), k.lo(n.lshrk(r.umax, H))));
    r.s32min = h.ite(crossU2, h.smax(r.s32min, lmin), r.s32min);
    r.s32max = h.ite(crossU2, h.smin(r.s32max, lmax), r.s32max);
  }
  lmin = k.lo(r.smin);
  lmax = k.lo(r.smax);
  const crossS = A.and(h.neg0(lmin), A.not(h.neg0(lmax)));
  if (may(A, crossS)) {
    const crossS2 = A.and(crossS, h.eq(h.add(k.lo(n.ashrk(r.smin, H)), h.one), k.lo(n.ashrk(r.smax, H))));
    r.s32min = h.ite(crossS2, h.smax(r.s32min, lmin), r.s32min);
    r.s32max = h.ite(crossS2, h.smin(r.s32max, lmax), r.s32max);
  }
  // A u32 range that does not cross the sign bit is also an s32 range, and vice versa.
  const uAsS = h.sle(r.u32min, r.u32max);
  r.s32min = h.ite(uAsS, h.smax(r.s32min, r.u32min), r.s32min);
  r.s32max = h.ite(uAsS, h.smin(r.s32max, r.u32max), r.s32max);
  // 6.18.y (fbc7aef517d8): the 64-bit rule below, for the 32-bit ranges.
  [r.u32min, r.u32max, r.s32min, r.s32max] = signedIntoUnsigned(h, r.u32min, r.u32max, r.s32min, r.s32max);
}

/**
 * The end of __reg64_deduce_bounds / __reg32_deduce_bounds at one width: a signed range that does
 * not wrap bounds the unsigned one; one that wraps (negative .. non-negative) is
 * [0, smax] u [smin, MAX] unsigned, and an unsigned range meeting only one of the two pieces
 * shrinks both ranges to that piece (6.17 for 64 bits, 6.18.y for 32). Returns [umin, umax, smin, smax].
 */
function signedIntoUnsigned<T, B>(w: BVx<T, B>, umin: T, umax: T, smin: T, smax: T): [T, T, T, T] {
  const sAsU = w.ule(smin, smax);
  const onlyLow = w.ult(umax, smin);
  const onlyHigh = w.ult(smax, umin);
  return [
    w.ite(sAsU, w.umax(smin, umin), w.ite(onlyLow, umin, w.ite(onlyHigh, w.umax(umin, smin), umin))),
    w.ite(sAsU, w.umin(smax, umax), w.ite(onlyLow, w.umin(umax, smax), umax)),
    w.ite(sAsU, smin, w.ite(onlyLow, umin, smin)),
    w.ite(sAsU, smax, w.ite(onlyLow, smax, w.ite(onlyHigh, umax, smax))),
  ];
}

/** __reg64_deduce_bounds, with 6.17's case for an s64 range that crosses the sign boundary. */
export function reg64DeduceBounds<T, B>(k: Kernel<T, B>, r: Reg<T>): void {
  const { n } = k;
  const uAsS = n.sle(r.umin, r.umax);
  r.smin = n.ite(uAsS, n.smax(r.smin, r.umin), r.smin);
  r.smax = n.ite(uAsS, n.smin(r.smax, r.umax), r.smax);
  [r.umin, r.umax, r.smin, r.smax] = signedIntoUnsigned(n, r.umin, r.umax, r.smin, r.smax);
}

/** __reg_deduce_mixed_bounds: tighten the 64-bit bounds with the 32-bit ones. */
export function regDeduceMixedBounds<T, B>(k: Kernel<T, B>, r: Reg<T>): void {
  const { A, n, h, N, H, hiMask } = k;
  // u32 -> u64 and u32 -> s64: substitute the low halves, always well-formed.
  r.umin = n.umax(r.umin, n.or(n.and(r.umin, hiMask), A.zext(r.u32min, H, N)));
  r.umax = n.umin(r.umax, n.or(n.and(r.umax, hiMask), A.zext(r.u32max, H, N)));
  r.smin = n.smax(r.smin, n.or(n.and(r.smin, hiMask), A.zext(r.u32min, H, N)));
  r.smax = n.smin(r.smax, n.or(n.and(r.smax, hiMask), A.zext(r.u32max, H, N)));
  // s32 -> u64 and s32 -> s64 when the s32 range is also a u32 range.
  const sAsU = h.ule(r.s32min, r.s32max);
  if (may(A, sAsU)) {
    const zmin = A.zext(r.s32min, H, N);
    const zmax = A.zext(r.s32max, H, N);
    r.umin = n.ite(sAsU, n.umax(r.umin, n.or(n.and(r.umin, hiMask), zmin)), r.umin);
    r.umax = n.ite(sAsU, n.umin(r.umax, n.or(n.and(r.umax, hiMask), zmax)), r.umax);
    r.smin = n.ite(sAsU, n.smax(r.smin, n.or(n.and(r.smin, hiMask), zmin)), r.smin);
    r.smax = n.ite(sAsU, n.smin(r.smax, n.or(n.and(r.smax, hiMask), zmax)), r.smax);
  }
  // After a sign-extending load: a 64-bit range inside [S32_MIN, S32_MAX] whose low half is
  // non-negative cannot have its upper bits all ones, so it is the s32 range itself.
  const c = A.and(A.not(h.neg0(r.s32min)), n.sle(k.s32minN, r.smin), n.sle(r.smax, k.s32maxN));
  if (!may(A, c)) return;
  const smin = A.sext(r.s32min, H, N);
  const smax = A.sext(r.s32max, H, N);
  const t = k.t.intersect(r, k.t.range(smin, smax));
  r.smin = n.ite(c, smin, r.smin);
  r.smax = n.ite(c, smax, r.smax);
  r.umin = n.ite(c, smin, r.umin);
  r.umax = n.ite(c, smax, r.umax);
  r.value = n.ite(c, t.value, r.value);
  r.mask = n.ite(c, t.mask, r.mask);
}

export function regDeduceBounds<T, B>(k: Kernel<T, B>, r: Reg<T>): void {
  k.reg32DeduceBounds(r);
  k.reg64DeduceBounds(r);
  k.regDeduceMixedBounds(r);
}

/** __reg_bound_offset: known bits from the unsigned ranges. */
export function regBoundOffset<T, B>(k: Kernel<T, B>, r: Reg<T>): void {
  const { t, A, H, N } = k;
  const var64 = t.intersect(r, t.range(r.umin, r.umax));
  const var32 = t.intersect(t.subreg(var64), t.range(A.zext(r.u32min, H, N), A.zext(r.u32max, H, N)));
  const out = t.or(t.clearSubreg(var64), var32);
  r.value = out.value;
  r.mask = out.mask;
}

/**
 * A constant every range of which is that constant (what __mark_reg_known makes): each step of
 * reg_bounds_sync leaves it as it is (test/domains/sync.test.ts runs every step on every such
 * state at width 8, and at 64 bits on samples).
 */
export function isSyncedConst<T, B>(k: Kernel<T, B>, r: Reg<T>): B {
  const { A, n, h } = k;
  const lo = k.lo(r.value);
  return A.and(n.isZero(r.mask), n.eq(r.umin, r.value), n.eq(r.umax, r.value), n.eq(r.smin, r.value), n.eq(r.smax, r.value),
    h.eq(r.u32min, lo), h.eq(r.u32max, lo), h.eq(r.s32min, lo), h.eq(r.s32max, lo));
}

/** reg_bounds_sync: bounds from var_off, sign deductions twice, var_off from bounds, bounds again. */
export function regBoundsSync<T, B>(k: Kernel<T, B>, r: Reg<T>): void {
  // Running, a synchronised constant (a BPF_K operand, most often) is left as it is: the steps
  // below would change nothing. Symbolic (proving), the condition is not known and every step runs.
  // (The mask first: most states are no constants, and the whole test is ten comparisons.)
  if (k.A.known(k.n.isZero(r.mask)) === true && k.A.known(isSyncedConst(k, r)) === true) return;
  k.updateRegBounds(r);
  const before = copyReg(r);
  k.regDeduceBounds(r);
  // The deduction is a function of the state alone: a pass that changed nothing (known when
  // running) is a fixpoint, and the kernel's second pass would change nothing either.
  if (k.A.known(sameReg(k, before, r)) !== true) k.regDeduceBounds(r);
  k.regBoundOffset(r);
  k.updateRegBounds(r);
}

/** Every field of a equals b's. */
function sameReg<T, B>(k: Kernel<T, B>, a: Reg<T>, b: Reg<T>): B {
  const { A, n, h } = k;
  return A.and(
    n.eq(a.value, b.value), n.eq(a.mask, b.mask), n.eq(a.umin, b.umin), n.eq(a.umax, b.umax),
    n.eq(a.smin, b.smin), n.eq(a.smax, b.smax), h.eq(a.u32min, b.u32min), h.eq(a.u32max, b.u32max),
    h.eq(a.s32min, b.s32min), h.eq(a.s32max, b.s32max),
  );
}

/** __reg_assign_32_into_64: the 64-bit bounds of a zero-extended subregister. */
export function assign32Into64<T, B>(k: Kernel<T, B>, r: Reg<T>): void {
  const { A, n, h, H, N } = k;
  r.umin = A.zext(r.u32min, H, N);
  r.umax = A.zext(r.u32max, H, N);
  // Signed 32-bit bounds carry over only when both are non-negative.
  const pos = A.and(A.not(h.neg0(r.s32min)), A.not(h.neg0(r.s32max)));
  r.smin = n.ite(pos, A.zext(r.s32min, H, N), n.zero);
  r.smax = n.ite(pos, A.zext(r.s32max, H, N), A.zext(h.ones, H, N));
}

/** zext_32_to_64: what every 32-bit ALU result becomes. */
export function zext32To64<T, B>(k: Kernel<T, B>, r: Reg<T>): void {
  const t = k.t.subreg(r);
  r.value = t.value;
  r.mask = t.mask;
  k.assign32Into64(r);
}

/** The kernel's reg_bounds_sanity_check, as a condition: true when the state is consistent. */
export function regSane<T, B>(k: Kernel<T, B>, r: Reg<T>): B {
  const { A, n, h } = k;
  const ordered = A.and(n.ule(r.umin, r.umax), n.sle(r.smin, r.smax), h.ule(r.u32min, r.u32max), h.sle(r.s32min, r.s32max));
  const c64 = A.implies(k.t.isConst(r), A.and(n.eq(r.umin, r.value), n.eq(r.umax, r.value), n.eq(r.smin, r.value), n.eq(r.smax, r.value)));
  const v32 = k.lo(r.value);
  const c32 = A.implies(k.t.subregIsConst(r), A.and(h.eq(r.u32min, v32), h.eq(r.u32max, v32), h.eq(r.s32min, v32), h.eq(r.s32max, v32)));
  return A.and(ordered, c64, c32);
}

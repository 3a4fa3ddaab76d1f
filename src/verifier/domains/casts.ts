/**
 * Width changes of a scalar: coerce_reg_to_size (narrow loads, truncation), coerce_reg_to_size_sx
 * (sign-extending loads, r = (s8/s16/s32) r) and coerce_subreg_to_size_sx (w = (s8/s16) w),
 * as kernel/bpf/verifier.c 6.18. Sizes are in bits of the 64-bit model (8, 16, 32); with a
 * scaled-down register width N they scale to N/8, N/4, N/2.
 */
import type { Kernel } from './kernel.js';
import { chooseReg, copyReg, selectReg, type Reg } from './scalar.js';

/** Bits that a kernel size of `bits64` bits (8/16/32/64) stands for at register width N. */
export function scaledBits(N: number, bits64: number): number {
  return (bits64 * N) / 64;
}

/** coerce_reg_to_size: keep the low `bits` bits (zero-extended). */
export function coerceToSize<T, B>(k: Kernel<T, B>, r: Reg<T>, bits: number): void {
  const { A, n, N } = k;
  if (bits >= N) return;
  const v = k.t.cast(r, bits);
  r.value = v.value;
  r.mask = v.mask;
  const mask = n.c((1n << BigInt(bits)) - 1n);
  // If the dropped high bits agree across the range, the low bits still form a range.
  const same = n.eq(n.and(r.umin, n.not(mask)), n.and(r.umax, n.not(mask)));
  r.umin = n.ite(same, n.and(r.umin, mask), n.zero);
  r.umax = n.ite(same, n.and(r.umax, mask), mask);
  r.smin = r.umin;
  r.smax = r.umax;
  if (bits < k.H) k.mark32Unbounded(r);
  void A;
  k.regBoundsSync(r);
}

/** Sign-extend the low `bits` bits of x to width w. */
function sextLow<T, B>(k: Kernel<T, B>, x: T, bits: number, w: number): T {
  return k.A.sext(k.A.trunc(x, w, bits), bits, w);
}

/** coerce_reg_to_size_sx: sign-extend the low `bits` bits into the whole register. */
export function coerceToSizeSx<T, B>(k: Kernel<T, B>, r: Reg<T>, bits: number): void {
  const { A, n, h, N, H } = k;
  // A constant stays a constant.
  const c = sextLow(k, r.value, bits, N);
  const constCase = copyReg(r);
  k.markKnown(constCase, c);
  // Otherwise the s64 range survives when its bits above `bits` agree and the sign-extended ends
  // have the same sign.
  const topMax = n.shlk(n.lshrk(r.smax, bits), bits);
  const topMin = n.shlk(n.lshrk(r.smin, bits), bits);
  const initMax = sextLow(k, r.smax, bits, N);
  const initMin = sextLow(k, r.smin, bits, N);
  const s64max = n.smax(initMax, initMin);
  const s64min = n.smin(initMax, initMin);
  const rangeOk = A.and(n.eq(topMax, topMin), A.iteB(n.neg0(s64max), n.neg0(s64min), A.not(n.neg0(s64min))));
  const rangeCase = copyReg(r);
  const lmin = A.trunc(s64min, N, H);
  const lmax = A.trunc(s64max, N, H);
  rangeCase.smin = s64min; rangeCase.smax = s64max; rangeCase.umin = s64min; rangeCase.umax = s64max;
  rangeCase.s32min = lmin; rangeCase.s32max = lmax; rangeCase.u32min = lmin; rangeCase.u32max = lmax;
  const t = k.t.range(s64min, s64max);
  rangeCase.value = t.value;
  rangeCase.mask = t.mask;
  const out = selectReg(k, k.t.isConst(r), constCase, selectReg(k, rangeOk, rangeCase, sextFallback(k, r, bits)));
  Object.assign(r, out);
}

/**
 * The fallback of coerce_reg_to_size_sx as the running 6.18.44 kernel does it (probed with its
 * verifier log): sign extension from `bits` bits is the identity on values whose s64 already lies
 * in the narrow type's signed range, and equals the 32-bit sign extension of the subregister on
 * values whose s32 lies in it; from 32 bits the subregister is unchanged. The ranges that hold
 * survive, var_off is rebuilt from them (reg_bounds_sync); otherwise the narrow type's signed range.
 */
function sextFallback<T, B>(k: Kernel<T, B>, r: Reg<T>, bits: number): Reg<T> {
  const { A, n, h, N, H } = k;
  const hmin = n.c(-(1n << BigInt(bits - 1)));
  const hmax = n.c((1n << BigInt(bits - 1)) - 1n);
  const hmin32 = A.trunc(hmin, N, H);
  const hmax32 = A.trunc(hmax, N, H);
  const inS64 = A.and(n.sle(hmin, r.smin), n.sle(r.smax, hmax));
  const inS32 = bits >= H ? A.tt : A.and(h.sle(hmin32, r.s32min), h.sle(r.s32max, hmax32));
  const identity = (): Reg<T> => {
    const d = copyReg(r);
    d.value = n.zero; d.mask = n.ones;
    k.regBoundsSync(d);
    return d;
  };
  const fromSubreg = (): Reg<T> => {
    const d = copyReg(r);
    d.smin = A.sext(r.s32min, H, N); d.smax = A.sext(r.s32max, H, N);
    d.umin = n.zero; d.umax = n.ones;
    d.value = n.zero; d.mask = n.ones;
    k.regBoundsSync(d);
    return d;
  };
  // set_sext64_default_val: the signed range of the narrow type, nothing else known.
  const dflt = (): Reg<T> => {
    const d = copyReg(r);
    d.smin = hmin; d.smax = hmax;
    d.s32min = hmin32; d.s32max = hmax32;
    d.umin = n.zero; d.u32min = h.zero; d.umax = n.ones; d.u32max = h.ones;
    d.value = n.zero; d.mask = n.ones;
    return d;
  };
  return chooseReg(k, inS64, identity, () => chooseReg(k, inS32, fromSubreg, dflt));
}

/** coerce_subreg_to_size_sx: sign-extend the low `bits` bits into the subregister (bits < H). */
export function coerceSubregToSizeSx<T, B>(k: Kernel<T, B>, r: Reg<T>, bits: number): void {
  const { A, n, h, N, H } = k;
  // Constant (the whole 64-bit var_off): var_off becomes the sign-extended constant.
  const cval = sextLow(k, r.value, bits, N);
  const c32 = A.trunc(cval, N, H);
  const constCase = copyReg(r);
  constCase.value = cval; constCase.mask = n.zero;
  constCase.s32min = c32; constCase.s32max = c32; constCase.u32min = c32; constCase.u32max = c32;
  const topMax = h.shlk(h.lshrk(r.s32max, bits), bits);
  const topMin = h.shlk(h.lshrk(r.s32min, bits), bits);
  const initMax = sextLow(k, r.s32max, bits, H);
  const initMin = sextLow(k, r.s32min, bits, H);
  const s32max = h.smax(initMax, initMin);
  const s32min = h.smin(initMax, initMin);
  const rangeOk = A.and(h.eq(topMax, topMin), A.iteB(h.neg0(s32max), h.neg0(s32min), A.not(h.neg0(s32min))));
  const rangeCase = copyReg(r);
  rangeCase.s32min = s32min; rangeCase.s32max = s32max; rangeCase.u32min = s32min; rangeCase.u32max = s32max;
  const t = k.t.subreg(k.t.range(A.sext(s32min, H, N), A.sext(s32max, H, N)));
  rangeCase.value = t.value;
  rangeCase.mask = t.mask;
  // set_sext32_default_val
  const dflt = copyReg(r);
  dflt.s32min = h.c(-(1n << BigInt(bits - 1)));
  dflt.s32max = h.c((1n << BigInt(bits - 1)) - 1n);
  dflt.u32min = h.zero; dflt.u32max = h.ones;
  const u = k.t.subreg(k.t.unknown());
  dflt.value = u.value; dflt.mask = u.mask;
  const out = selectReg(k, k.t.isConst(r), constCase, selectReg(k, rangeOk, rangeCase, dflt));
  Object.assign(r, out);
}

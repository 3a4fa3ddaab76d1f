/**
 * Range transfer functions of the ALU operations: scalar{32,}_min_max_{add,sub,mul,and,or,xor,
 * lsh,rsh,arsh} and adjust_scalar_min_max_vals of kernel/bpf/verifier.c (6.18, including 6.17's
 * wrap-aware add/sub bounds and BPF_NEG tracking), plus the variable-offset part of pointer
 * arithmetic (adjust_ptr_min_max_vals). Each mutates dst like the kernel does.
 */
import type { Kernel } from './kernel.js';
import { assignReg, chooseReg, copyReg, type Reg } from './scalar.js';

export type AluOp = 'add' | 'sub' | 'mul' | 'div' | 'sdiv' | 'mod' | 'smod' | 'or' | 'and' | 'lsh' | 'rsh' | 'arsh' | 'xor';
export const ALU_OPS: readonly AluOp[] = ['add', 'sub', 'mul', 'div', 'sdiv', 'mod', 'smod', 'or', 'and', 'lsh', 'rsh', 'arsh', 'xor'];

// If either all additions overflow or none does, [umin+umin', umax+umax'] is exact modulo 2^w.
export function add32<T, B>(k: Kernel<T, B>, d: Reg<T>, s: Reg<T>): void {
  const { A, h } = k;
  const sOv = A.or(h.saddOv(d.s32min, s.s32min), h.saddOv(d.s32max, s.s32max));
  d.s32min = h.ite(sOv, h.sminv, h.add(d.s32min, s.s32min));
  d.s32max = h.ite(sOv, h.smaxv, h.add(d.s32max, s.s32max));
  const minOv = h.uaddOv(d.u32min, s.u32min);
  const maxOv = h.uaddOv(d.u32max, s.u32max);
  const some = A.and(A.not(minOv), maxOv);
  d.u32min = h.ite(some, h.zero, h.add(d.u32min, s.u32min));
  d.u32max = h.ite(some, h.ones, h.add(d.u32max, s.u32max));
}

export function add64<T, B>(k: Kernel<T, B>, d: Reg<T>, s: Reg<T>): void {
  const { A, n } = k;
  const sOv = A.or(n.saddOv(d.smin, s.smin), n.saddOv(d.smax, s.smax));
  d.smin = n.ite(sOv, n.sminv, n.add(d.smin, s.smin));
  d.smax = n.ite(sOv, n.smaxv, n.add(d.smax, s.smax));
  const minOv = n.uaddOv(d.umin, s.umin);
  const maxOv = n.uaddOv(d.umax, s.umax);
  const some = A.and(A.not(minOv), maxOv);
  d.umin = n.ite(some, n.zero, n.add(d.umin, s.umin));
  d.umax = n.ite(some, n.ones, n.add(d.umax, s.umax));
}

// Same for subtraction: only when some (not all) differences borrow is the range lost.
export function sub32<T, B>(k: Kernel<T, B>, d: Reg<T>, s: Reg<T>): void {
  const { A, h } = k;
  const sOv = A.or(h.ssubOv(d.s32min, s.s32max), h.ssubOv(d.s32max, s.s32min));
  d.s32min = h.ite(sOv, h.sminv, h.sub(d.s32min, s.s32max));
  d.s32max = h.ite(sOv, h.smaxv, h.sub(d.s32max, s.s32min));
  const minUf = h.usubOv(d.u32min, s.u32max);
  const maxUf = h.usubOv(d.u32max, s.u32min);
  const some = A.and(minUf, A.not(maxUf));
  d.u32min = h.ite(some, h.zero, h.sub(d.u32min, s.u32max));
  d.u32max = h.ite(some, h.ones, h.sub(d.u32max, s.u32min));
}

export function sub64<T, B>(k: Kernel<T, B>, d: Reg<T>, s: Reg<T>): void {
  const { A, n } = k;
  const sOv = A.or(n.ssubOv(d.smin, s.smax), n.ssubOv(d.smax, s.smin));
  d.smin = n.ite(sOv, n.sminv, n.sub(d.smin, s.smax));
  d.smax = n.ite(sOv, n.smaxv, n.sub(d.smax, s.smin));
  const minUf = n.usubOv(d.umin, s.umax);
  const maxUf = n.usubOv(d.umax, s.umin);
  const some = A.and(minUf, A.not(maxUf));
  d.umin = n.ite(some, n.zero, n.sub(d.umin, s.umax));
  d.umax = n.ite(some, n.ones, n.sub(d.umax, s.umin));
}

// Products of the corners; any possible overflow loses the range.
export function mul32<T, B>(k: Kernel<T, B>, d: Reg<T>, s: Reg<T>): void {
  const { A, h } = k;
  const uOv = A.or(h.umulOv(d.u32max, s.u32max), h.umulOv(d.u32min, s.u32min));
  d.u32min = h.ite(uOv, h.zero, h.mul(d.u32min, s.u32min));
  d.u32max = h.ite(uOv, h.ones, h.mul(d.u32max, s.u32max));
  const pairs: [T, T][] = [[d.s32min, s.s32min], [d.s32min, s.s32max], [d.s32max, s.s32min], [d.s32max, s.s32max]];
  const sOv = A.or(...pairs.map(([a, b]) => h.smulOv(a, b)));
  const p = pairs.map(([a, b]) => h.mul(a, b)) as [T, T, T, T];
  d.s32min = h.ite(sOv, h.sminv, h.smin(h.smin(p[0], p[1]), h.smin(p[2], p[3])));
  d.s32max = h.ite(sOv, h.smaxv, h.smax(h.smax(p[0], p[1]), h.smax(p[2], p[3])));
}

export function mul64<T, B>(k: Kernel<T, B>, d: Reg<T>, s: Reg<T>): void {
  const { A, n } = k;
  const uOv = A.or(n.umulOv(d.umax, s.umax), n.umulOv(d.umin, s.umin));
  d.umin = n.ite(uOv, n.zero, n.mul(d.umin, s.umin));
  d.umax = n.ite(uOv, n.ones, n.mul(d.umax, s.umax));
  const pairs: [T, T][] = [[d.smin, s.smin], [d.smin, s.smax], [d.smax, s.smin], [d.smax, s.smax]];
  const sOv = A.or(...pairs.map(([a, b]) => n.smulOv(a, b)));
  const p = pairs.map(([a, b]) => n.mul(a, b)) as [T, T, T, T];
  d.smin = n.ite(sOv, n.sminv, n.smin(n.smin(p[0], p[1]), n.smin(p[2], p[3])));
  d.smax = n.ite(sOv, n.smaxv, n.smax(n.smax(p[0], p[1]), n.smax(p[2], p[3])));
}

/** Shared tail of the 32-bit bitwise ops: s32 from u32 when u32 does not cross the sign bit. */
function s32FromU32<T, B>(k: Kernel<T, B>, d: Reg<T>): void {
  const { h } = k;
  const ok = h.sle(d.u32min, d.u32max);
  d.s32min = h.ite(ok, d.u32min, h.sminv);
  d.s32max = h.ite(ok, d.u32max, h.smaxv);
}

function s64FromU64<T, B>(k: Kernel<T, B>, d: Reg<T>): void {
  const { n } = k;
  const ok = n.sle(d.umin, d.umax);
  d.smin = n.ite(ok, d.umin, n.sminv);
  d.smax = n.ite(ok, d.umax, n.smaxv);
}

/** Both subregisters constant: the result is the (already computed) var_off's low half. */
function bitwise32<T, B>(k: Kernel<T, B>, d: Reg<T>, s: Reg<T>, ranges: (r: Reg<T>) => void): void {
  const known = k.A.and(k.t.subregIsConst(s), k.t.subregIsConst(d));
  const r = chooseReg(k, known, () => {
    const a = copyReg(d);
    k.markReg32Known(a, k.A.zext(k.lo(d.value), k.H, k.N));
    return a;
  }, () => {
    const b = copyReg(d);
    ranges(b);
    s32FromU32(k, b);
    return b;
  });
  assignReg(d, r);
}

function bitwise64<T, B>(k: Kernel<T, B>, d: Reg<T>, s: Reg<T>, ranges: (r: Reg<T>) => void): void {
  const known = k.A.and(k.t.isConst(s), k.t.isConst(d));
  const r = chooseReg(k, known, () => {
    const a = copyReg(d);
    k.markKnown(a, d.value);
    return a;
  }, () => {
    const b = copyReg(d);
    ranges(b);
    s64FromU64(k, b);
    k.updateRegBounds(b);
    return b;
  });
  assignReg(d, r);
}

// AND: the minimum comes from var_off (inherently bitwise), the maximum is the smaller maximum.
export function and32<T, B>(k: Kernel<T, B>, d: Reg<T>, s: Reg<T>): void {
  bitwise32(k, d, s, (r) => {
    r.u32min = k.lo(r.value);
    r.u32max = k.h.umin(r.u32max, s.u32max);
  });
}

export function and64<T, B>(k: Kernel<T, B>, d: Reg<T>, s: Reg<T>): void {
  bitwise64(k, d, s, (r) => {
    r.umin = r.value;
    r.umax = k.n.umin(r.umax, s.umax);
  });
}

// OR: the maximum comes from var_off, the minimum is the larger minimum.
export function or32<T, B>(k: Kernel<T, B>, d: Reg<T>, s: Reg<T>): void {
  bitwise32(k, d, s, (r) => {
    r.u32min = k.h.umax(r.u32min, s.u32min);
    r.u32max = k.h.or(k.lo(r.value), k.lo(r.mask));
  });
}

export function or64<T, B>(k: Kernel<T, B>, d: Reg<T>, s: Reg<T>): void {
  bitwise64(k, d, s, (r) => {
    r.umin = k.n.umax(r.umin, s.umin);
    r.umax = k.n.or(r.value, r.mask);
  });
}

// XOR: both bounds from var_off.
export function xor32<T, B>(k: Kernel<T, B>, d: Reg<T>, s: Reg<T>): void {
  bitwise32(k, d, s, (r) => {
    r.u32min = k.lo(r.value);
    r.u32max = k.h.or(k.lo(r.value), k.lo(r.mask));
  });
}

export function xor64<T, B>(k: Kernel<T, B>, d: Reg<T>, s: Reg<T>): void {
  bitwise64(k, d, s, (r) => {
    r.umin = r.value;
    r.umax = k.n.or(r.value, r.mask);
  });
}

/** __scalar32_min_max_lsh: u32 bounds survive unless the top bit may be shifted out. */
function scalar32Lsh<T, B>(k: Kernel<T, B>, d: Reg<T>, umin: T, umax: T): void {
  const { A, n, h, N, H } = k;
  d.s32min = h.sminv;
  d.s32max = h.smaxv;
  const lost = A.or(n.ugt(umax, n.c(H - 1)), n.ugt(A.zext(d.u32max, H, N), n.shl(n.one, n.sub(n.c(H - 1), umax))));
  d.u32min = h.ite(lost, h.zero, h.shl(d.u32min, A.trunc(umin, N, H)));
  d.u32max = h.ite(lost, h.ones, h.shl(d.u32max, A.trunc(umax, N, H)));
}

export function lsh32<T, B>(k: Kernel<T, B>, d: Reg<T>, s: Reg<T>): void {
  const { A, t, H, N } = k;
  const umin = A.zext(s.u32min, H, N);
  const umax = A.zext(s.u32max, H, N);
  const sub = t.subreg(d);
  scalar32Lsh(k, d, umin, umax);
  const v = t.subreg(t.lshift(sub, umin));
  d.value = v.value;
  d.mask = v.mask;
  k.mark64Unbounded(d);
  k.updateReg32Bounds(d);
}

export function lsh64<T, B>(k: Kernel<T, B>, d: Reg<T>, s: Reg<T>): void {
  const { A, n, h, t, N, H } = k;
  const umin = s.umin;
  const umax = s.umax;
  // <<32 (the sign-extension idiom "<<32 s>>32") keeps the s32 bounds as the signed bounds: shifted
  // left by 32 they do not flip sign, negative ones included (6.12+ __scalar64_min_max_lsh).
  const by32 = A.and(n.eq(umin, n.c(H)), n.eq(umax, n.c(H)));
  d.smax = n.ite(by32, n.shlk(A.sext(d.s32max, H, N), H), n.smaxv);
  d.smin = n.ite(by32, n.shlk(A.sext(d.s32min, H, N), H), n.sminv);
  const lost = n.ugt(d.umax, n.shl(n.one, n.sub(n.c(N - 1), umax)));
  d.umin = n.ite(lost, n.zero, n.shl(d.umin, umin));
  d.umax = n.ite(lost, n.ones, n.shl(d.umax, umax));
  scalar32Lsh(k, d, umin, umax);
  const v = t.lshift(d, umin);
  d.value = v.value;
  d.mask = v.mask;
  k.updateRegBounds(d);
}

// RSH: signed bounds are dropped and recovered from the unsigned ones and var_off.
export function rsh32<T, B>(k: Kernel<T, B>, d: Reg<T>, s: Reg<T>): void {
  const { A, h, t, H, N } = k;
  const sub = t.subreg(d);
  d.s32min = h.sminv;
  d.s32max = h.smaxv;
  const v = t.rshift(sub, A.zext(s.u32min, H, N));
  d.value = v.value;
  d.mask = v.mask;
  d.u32min = h.lshr(d.u32min, s.u32max);
  d.u32max = h.lshr(d.u32max, s.u32min);
  k.mark64Unbounded(d);
  k.updateReg32Bounds(d);
}

export function rsh64<T, B>(k: Kernel<T, B>, d: Reg<T>, s: Reg<T>): void {
  const { n, t } = k;
  d.smin = n.sminv;
  d.smax = n.smaxv;
  const v = t.rshift(d, s.umin);
  d.value = v.value;
  d.mask = v.mask;
  d.umin = n.lshr(d.umin, s.umax);
  d.umax = n.lshr(d.umax, s.umin);
  k.mark32Unbounded(d);
  k.updateRegBounds(d);
}

// ARSH (constant shift only): signed bounds shift, unsigned ones come back from var_off.
export function arsh32<T, B>(k: Kernel<T, B>, d: Reg<T>, s: Reg<T>): void {
  const { A, h, t, H, N } = k;
  const sh = s.u32min;
  d.s32min = h.ashr(d.s32min, sh);
  d.s32max = h.ashr(d.s32max, sh);
  const v = t.arshift(t.subreg(d), A.zext(sh, H, N), 32);
  d.value = v.value;
  d.mask = v.mask;
  d.u32min = h.zero;
  d.u32max = h.ones;
  k.mark64Unbounded(d);
  k.updateReg32Bounds(d);
}

export function arsh64<T, B>(k: Kernel<T, B>, d: Reg<T>, s: Reg<T>): void {
  const { n, t } = k;
  d.smin = n.ashr(d.smin, s.umin);
  d.smax = n.ashr(d.smax, s.umin);
  const v = t.arshift(d, s.umin, 64);
  d.value = v.value;
  d.mask = v.mask;
  d.umin = n.zero;
  d.umax = n.ones;
  k.mark32Unbounded(d);
  k.updateRegBounds(d);
}

/** is_safe_to_compute_dst_reg_range: shifts need a constant amount below the width. */
export function safeToCompute<T, B>(k: Kernel<T, B>, op: AluOp, alu32: boolean, s: Reg<T>): B {
  const { A, n, h, t } = k;
  switch (op) {
    case 'add': case 'sub': case 'and': case 'xor': case 'or': case 'mul':
      return A.tt;
    case 'lsh': case 'rsh': case 'arsh': {
      const isConst = alu32
        ? A.and(t.subregIsConst(s), h.eq(s.s32min, s.s32max), h.eq(s.u32min, s.u32max))
        : A.and(t.isConst(s), n.eq(s.smin, s.smax), n.eq(s.umin, s.umax));
      return A.and(isConst, n.ult(s.umax, n.c(alu32 ? k.H : k.N)));
    }
    default:
      return A.ff;
  }
}

/** adjust_scalar_min_max_vals: dst = dst op src on two scalars (alu32: on the subregisters). */
export function adjustScalar<T, B>(k: Kernel<T, B>, op: AluOp, alu32: boolean, dst: Reg<T>, src: Reg<T>): Reg<T> {
  const safe = k.safeToCompute(op, alu32, src);
  const unknownOf = (): Reg<T> => {
    const u = copyReg(dst);
    k.markUnknown(u);
    return u;
  };
  if (k.A.known(safe) === false) return unknownOf();
  const d = copyReg(dst);
  const s = src;
  const { t } = k;
  switch (op) {
    case 'add':
      k.add32(d, s);
      k.add64(d, s);
      setVarOff(d, t.add(dst, s));
      break;
    case 'sub':
      k.sub32(d, s);
      k.sub64(d, s);
      setVarOff(d, t.sub(dst, s));
      break;
    case 'mul':
      setVarOff(d, t.mul(d, s));
      k.mul32(d, s);
      k.mul64(d, s);
      break;
    case 'and':
      setVarOff(d, t.and(d, s));
      k.and32(d, s);
      k.and64(d, s);
      break;
    case 'or':
      setVarOff(d, t.or(d, s));
      k.or32(d, s);
      k.or64(d, s);
      break;
    case 'xor':
      setVarOff(d, t.xor(d, s));
      k.xor32(d, s);
      k.xor64(d, s);
      break;
    case 'lsh':
      if (alu32) k.lsh32(d, s);
      else k.lsh64(d, s);
      break;
    case 'rsh':
      if (alu32) k.rsh32(d, s);
      else k.rsh64(d, s);
      break;
    case 'arsh':
      if (alu32) k.arsh32(d, s);
      else k.arsh64(d, s);
      break;
    default:
      break;
  }
  if (alu32) k.zext32To64(d);
  k.regBoundsSync(d);
  return chooseReg(k, safe, () => d, unknownOf);
}

/** BPF_NEG as 0 - dst through the subtraction bounds, var_off by tnum_neg. */
export function negScalar<T, B>(k: Kernel<T, B>, alu32: boolean, dst: Reg<T>): Reg<T> {
  const fake = copyReg(dst);
  const d = copyReg(dst);
  k.markKnown(d, k.n.zero);
  k.sub32(d, fake);
  k.sub64(d, fake);
  setVarOff(d, k.t.neg(fake));
  if (alu32) k.zext32To64(d);
  k.regBoundsSync(d);
  return d;
}

/** BPF_END kinds: bswap (ALU64, unconditional), to-le and to-be (ALU). */
export type EndKind = 'le' | 'be' | 'bswap';

/**
 * scalar_byte_swap then reg_bounds_sync (the whole BPF_END transfer, no zero-extension): on a
 * little-endian host bswap and be swap the bytes of var_off (tnum_bswap16/32/64) and forget the
 * ranges, which the swap scrambles; le16/le32 (and be16/be32 after the swap) truncate as
 * coerce_reg_to_size; le64 changes nothing. bits64 is 16/32/64 in the 64-bit model.
 */
export function byteSwapScalar<T, B>(k: Kernel<T, B>, dst: Reg<T>, bits64: number, kind: EndKind): Reg<T> {
  const d = copyReg(dst);
  const bits = (bits64 * k.N) / 64;
  if (kind !== 'le') {
    setVarOff(d, k.t.bswap(d, bits));
    k.mark64Unbounded(d);
    k.mark32Unbounded(d);
  }
  if (bits < k.N) k.coerceToSize(d, bits);
  k.regBoundsSync(d);
  return d;
}

/** Variable part of ptr += scalar (adjust_ptr_min_max_vals, BPF_ADD, non-constant offset). */
export function ptrAdd<T, B>(k: Kernel<T, B>, ptr: Reg<T>, off: Reg<T>): Reg<T> {
  const { A, n } = k;
  const d = copyReg(ptr);
  k.mark32Unbounded(d);
  const sOv = A.or(n.saddOv(ptr.smin, off.smin), n.saddOv(ptr.smax, off.smax));
  d.smin = n.ite(sOv, n.sminv, n.add(ptr.smin, off.smin));
  d.smax = n.ite(sOv, n.smaxv, n.add(ptr.smax, off.smax));
  const uOv = A.or(n.uaddOv(ptr.umin, off.umin), n.uaddOv(ptr.umax, off.umax));
  d.umin = n.ite(uOv, n.zero, n.add(ptr.umin, off.umin));
  d.umax = n.ite(uOv, n.ones, n.add(ptr.umax, off.umax));
  setVarOff(d, k.t.add(ptr, off));
  k.regBoundsSync(d);
  return d;
}

/** Variable part of ptr -= scalar (BPF_SUB, non-constant offset). */
export function ptrSub<T, B>(k: Kernel<T, B>, ptr: Reg<T>, off: Reg<T>): Reg<T> {
  const { A, n } = k;
  const d = copyReg(ptr);
  k.mark32Unbounded(d);
  const sOv = A.or(n.ssubOv(ptr.smin, off.smax), n.ssubOv(ptr.smax, off.smin));
  d.smin = n.ite(sOv, n.sminv, n.sub(ptr.smin, off.smax));
  d.smax = n.ite(sOv, n.smaxv, n.sub(ptr.smax, off.smin));
  const uOv = n.ult(ptr.umin, off.umax);
  d.umin = n.ite(uOv, n.zero, n.sub(ptr.umin, off.umax));
  d.umax = n.ite(uOv, n.ones, n.sub(ptr.umax, off.umin));
  setVarOff(d, k.t.sub(ptr, off));
  k.regBoundsSync(d);
  return d;
}

/** d's var_off becomes t (without copying t into a new object). */
function setVarOff<T>(d: Reg<T>, t: { value: T; mask: T }): void {
  d.value = t.value;
  d.mask = t.mask;
}

/**
 * The kernel's scalar domain assembled as one table of operations over an algebra and a register
 * width. Every operation calls the others through the table (`k.x(...)`), so a test or a proof can
 * replace one part (dependency injection: `makeKernel(A, N, (k) => { k.add64 = wrong; })`) and
 * everything that uses it sees the replacement, without editing this code.
 */
import { extend, type Algebra, type BVx } from './algebra.js';
import { tnumOps, type TnumOps } from './tnum.js';
import * as S from './scalar.js';
import * as AL from './alu.js';
import * as C from './casts.js';
import * as BR from './branch.js';
import type { Reg } from './scalar.js';
import type { AluOp, EndKind } from './alu.js';
import type { CondOp, JmpOp, Refined } from './branch.js';

export interface Kernel<T, B> {
  readonly A: Algebra<T, B>;
  /** Register width (64) and subregister width (32); tests scale them down. */
  readonly N: number;
  readonly H: number;
  readonly n: BVx<T, B>;
  readonly h: BVx<T, B>;
  t: TnumOps<T, B>;
  /** Low half of an N-bit value. */
  lo(x: T): T;
  /** Constants the synchronisation uses on every call, made once: ~(2^H - 1) and the s32 limits sign-extended to N bits. */
  readonly hiMask: T;
  readonly s32minN: T;
  readonly s32maxN: T;

  markKnown(r: Reg<T>, v: T): void;
  markReg32Known(r: Reg<T>, v: T): void;
  markUnknown(r: Reg<T>): void;
  mark64Unbounded(r: Reg<T>): void;
  mark32Unbounded(r: Reg<T>): void;
  updateReg32Bounds(r: Reg<T>): void;
  updateReg64Bounds(r: Reg<T>): void;
  updateReg64Ranges(r: Reg<T>): void;
  reg64SingleValue(r: Reg<T>): void;
  updateRegBounds(r: Reg<T>): void;
  reg32DeduceBounds(r: Reg<T>): void;
  reg64DeduceBounds(r: Reg<T>): void;
  regDeduceMixedBounds(r: Reg<T>): void;
  regDeduceBounds(r: Reg<T>): void;
  regBoundOffset(r: Reg<T>): void;
  regBoundsSync(r: Reg<T>): void;
  assign32Into64(r: Reg<T>): void;
  zext32To64(r: Reg<T>): void;

  add32(d: Reg<T>, s: Reg<T>): void;
  add64(d: Reg<T>, s: Reg<T>): void;
  sub32(d: Reg<T>, s: Reg<T>): void;
  sub64(d: Reg<T>, s: Reg<T>): void;
  mul32(d: Reg<T>, s: Reg<T>): void;
  mul64(d: Reg<T>, s: Reg<T>): void;
  and32(d: Reg<T>, s: Reg<T>): void;
  and64(d: Reg<T>, s: Reg<T>): void;
  or32(d: Reg<T>, s: Reg<T>): void;
  or64(d: Reg<T>, s: Reg<T>): void;
  xor32(d: Reg<T>, s: Reg<T>): void;
  xor64(d: Reg<T>, s: Reg<T>): void;
  lsh32(d: Reg<T>, s: Reg<T>): void;
  lsh64(d: Reg<T>, s: Reg<T>): void;
  rsh32(d: Reg<T>, s: Reg<T>): void;
  rsh64(d: Reg<T>, s: Reg<T>): void;
  arsh32(d: Reg<T>, s: Reg<T>): void;
  arsh64(d: Reg<T>, s: Reg<T>): void;
  safeToCompute(op: AluOp, alu32: boolean, s: Reg<T>): B;
  coerceToSize(r: Reg<T>, bits: number): void;
  coerceToSizeSx(r: Reg<T>, bits: number): void;
  coerceSubregToSizeSx(r: Reg<T>, bits: number): void;
  refineCondOp(r1: Reg<T>, r2: Reg<T>, op: CondOp, jmp32: boolean): void;

  // Whole operations (inputs untouched, a new state returned).
  unknown(): Reg<T>;
  known(v: T): Reg<T>;
  sync(r: Reg<T>): Reg<T>;
  alu(op: AluOp, alu32: boolean, dst: Reg<T>, src: Reg<T>): Reg<T>;
  neg(alu32: boolean, dst: Reg<T>): Reg<T>;
  /** BPF_END (le/be on a little-endian host, bswap) at 16/32/64 bits of the 64-bit model. */
  end(dst: Reg<T>, bits64: number, kind: EndKind): Reg<T>;
  /** w = w (zero-extending 32-bit move). */
  mov32(src: Reg<T>): Reg<T>;
  /** r = (sX) r (alu32 false) or w = (sX) w (alu32 true); bits64 is 8, 16 or 32 in the 64-bit model. */
  movsx(src: Reg<T>, bits64: number, alu32: boolean): Reg<T>;
  /** coerce_reg_to_size with a size in bits of the 64-bit model. */
  truncate(r: Reg<T>, bits64: number): Reg<T>;
  /** coerce_reg_to_size_sx with a size in bits of the 64-bit model. */
  sextLoad(r: Reg<T>, bits64: number): Reg<T>;
  ptrAdd(ptr: Reg<T>, off: Reg<T>): Reg<T>;
  ptrSub(ptr: Reg<T>, off: Reg<T>): Reg<T>;
  branch(op: JmpOp, jmp32: boolean, a: Reg<T>, b: Reg<T>): T;
  refine(op: JmpOp, jmp32: boolean, a: Reg<T>, b: Reg<T>): Refined<T>;
  /** Both sides of "a <op> a" (one register compared with itself). */
  refineSelf(op: JmpOp, jmp32: boolean, a: Reg<T>): BR.SelfRefined<T>;
  /**
   * sync_linked_regs for a register linked to `known` by constant offsets: known's state moved by
   * the offsets' difference (reg = known_reg; reg += delta, the 64-bit add's transfer functions).
   */
  linkedMove(known: Reg<T>, delta: T): Reg<T>;
  /** x is a member of the concretisation of r (every component holds). */
  contains(r: Reg<T>, x: T): B;
  /** The conjuncts of contains (tnum, then each bound), for proofs split per component. */
  containsParts(r: Reg<T>, x: T): B[];
  sane(r: Reg<T>): B;
}

export function makeKernel<T, B>(A: Algebra<T, B>, N = 64, patch?: (k: Kernel<T, B>) => void): Kernel<T, B> {
  const H = N / 2;
  const n = extend(A, A.bv(N));
  const h = extend(A, A.bv(H));
  const k: Kernel<T, B> = {
    A, N, H, n, h,
    t: tnumOps(A, n),
    lo: (x) => A.trunc(x, N, H),
    hiMask: n.not(n.c((1n << BigInt(H)) - 1n)),
    s32minN: A.sext(h.sminv, H, N),
    s32maxN: A.sext(h.smaxv, H, N),
    markKnown: (r, v) => S.markKnown(k, r, v),
    markReg32Known: (r, v) => S.markReg32Known(k, r, v),
    markUnknown: (r) => S.markUnknown(k, r),
    mark64Unbounded: (r) => S.mark64Unbounded(k, r),
    mark32Unbounded: (r) => S.mark32Unbounded(k, r),
    updateReg32Bounds: (r) => S.updateReg32Bounds(k, r),
    updateReg64Bounds: (r) => S.updateReg64Bounds(k, r),
    updateReg64Ranges: (r) => S.updateReg64Ranges(k, r),
    reg64SingleValue: (r) => S.reg64SingleValue(k, r),
    updateRegBounds: (r) => S.updateRegBounds(k, r),
    reg32DeduceBounds: (r) => S.reg32DeduceBounds(k, r),
    reg64DeduceBounds: (r) => S.reg64DeduceBounds(k, r),
    regDeduceMixedBounds: (r) => S.regDeduceMixedBounds(k, r),
    regDeduceBounds: (r) => S.regDeduceBounds(k, r),
    regBoundOffset: (r) => S.regBoundOffset(k, r),
    regBoundsSync: (r) => S.regBoundsSync(k, r),
    assign32Into64: (r) => S.assign32Into64(k, r),
    zext32To64: (r) => S.zext32To64(k, r),
    add32: (d, s) => AL.add32(k, d, s),
    add64: (d, s) => AL.add64(k, d, s),
    sub32: (d, s) => AL.sub32(k, d, s),
    sub64: (d, s) => AL.sub64(k, d, s),
    mul32: (d, s) => AL.mul32(k, d, s),
    mul64: (d, s) => AL.mul64(k, d, s),
    and32: (d, s) => AL.and32(k, d, s),
    and64: (d, s) => AL.and64(k, d, s),
    or32: (d, s) => AL.or32(k, d, s),
    or64: (d, s) => AL.or64(k, d, s),
    xor32: (d, s) => AL.xor32(k, d, s),
    xor64: (d, s) => AL.xor64(k, d, s),
    lsh32: (d, s) => AL.lsh32(k, d, s),
    lsh64: (d, s) => AL.lsh64(k, d, s),
    rsh32: (d, s) => AL.rsh32(k, d, s),
    rsh64: (d, s) => AL.rsh64(k, d, s),
    arsh32: (d, s) => AL.arsh32(k, d, s),
    arsh64: (d, s) => AL.arsh64(k, d, s),
    safeToCompute: (op, alu32, s) => AL.safeToCompute(k, op, alu32, s),
    coerceToSize: (r, bits) => C.coerceToSize(k, r, bits),
    coerceToSizeSx: (r, bits) => C.coerceToSizeSx(k, r, bits),
    coerceSubregToSizeSx: (r, bits) => C.coerceSubregToSizeSx(k, r, bits),
    refineCondOp: (r1, r2, op, jmp32) => BR.refineCondOp(k, r1, r2, op, jmp32),

    unknown() {
      const r = { value: n.zero, mask: n.ones, umin: n.zero, umax: n.ones, smin: n.sminv, smax: n.smaxv,
        u32min: h.zero, u32max: h.ones, s32min: h.sminv, s32max: h.smaxv, memoGen: undefined, memoNo: undefined };
      k.markUnknown(r);
      return r;
    },
    known(v) {
      const r = k.unknown();
      k.markKnown(r, v);
      return r;
    },
    sync(r) {
      const d = S.copyReg(r);
      k.regBoundsSync(d);
      return d;
    },
    alu: (op, alu32, dst, src) => AL.adjustScalar(k, op, alu32, dst, src),
    neg: (alu32, dst) => AL.negScalar(k, alu32, dst),
    end: (dst, bits64, kind) => AL.byteSwapScalar(k, dst, bits64, kind),
    mov32(src) {
      const d = S.copyReg(src);
      k.zext32To64(d);
      k.regBoundsSync(d);
      return d;
    },
    movsx(src, bits64, alu32) {
      const d = S.copyReg(src);
      const bits = C.scaledBits(N, bits64);
      if (!alu32) {
        k.coerceToSizeSx(d, bits);
        return d;
      }
      k.coerceSubregToSizeSx(d, bits);
      k.zext32To64(d);
      k.regBoundsSync(d);
      return d;
    },
    truncate(r, bits64) {
      const d = S.copyReg(r);
      k.coerceToSize(d, C.scaledBits(N, bits64));
      return d;
    },
    sextLoad(r, bits64) {
      const d = S.copyReg(r);
      k.coerceToSizeSx(d, C.scaledBits(N, bits64));
      return d;
    },
    ptrAdd: (p, o) => AL.ptrAdd(k, p, o),
    ptrSub: (p, o) => AL.ptrSub(k, p, o),
    branch: (op, jmp32, a, b) => BR.branchTaken(k, op, jmp32, a, b),
    refine: (op, jmp32, a, b) => BR.setMinMax(k, op, jmp32, a, b),
    refineSelf: (op, jmp32, a) => BR.setMinMaxSelf(k, op, jmp32, a),
    linkedMove: (known, delta) => k.alu('add', false, known, k.known(delta)),
    contains: (r, x) => A.and(...k.containsParts(r, x)),
    containsParts(r, x) {
      const lx = k.lo(x);
      return [
        k.t.contains(r, x),
        n.ule(r.umin, x), n.ule(x, r.umax), n.sle(r.smin, x), n.sle(x, r.smax),
        h.ule(r.u32min, lx), h.ule(lx, r.u32max), h.sle(r.s32min, lx), h.sle(lx, r.s32max),
      ];
    },
    sane: (r) => S.regSane(k, r),
  };
  patch?.(k);
  return k;
}

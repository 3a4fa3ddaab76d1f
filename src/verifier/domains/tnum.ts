/**
 * tnum: tracked numbers, as kernel/bpf/tnum.c (Linux 6.18). A tnum (value; mask) stands for every
 * w-bit x with (x & ~mask) == value: bits set in mask are unknown, the others are known and equal
 * to value's. Well-formed tnums have value & mask == 0. Operators return a tnum that contains
 * every concrete result of the operation on members of the inputs. Written over the bit-vector
 * algebra (width w, normally 64) so that the same text runs and is proven.
 */
import { byteSwap, type Algebra, type BVx } from './algebra.js';

export interface Tnum<T> {
  readonly value: T;
  readonly mask: T;
}

export interface TnumOps<T, B> {
  readonly w: number;
  make(value: T, mask: T): Tnum<T>;
  /** A single known value. */
  const(v: T): Tnum<T>;
  /** Nothing known. */
  unknown(): Tnum<T>;
  /** The smallest tnum holding [min, max]: the common high prefix is known, the rest unknown. */
  range(min: T, max: T): Tnum<T>;
  lshift(a: Tnum<T>, s: T): Tnum<T>;
  rshift(a: Tnum<T>, s: T): Tnum<T>;
  /** Arithmetic shift at the instruction's width (32: the low half, sign taken from bit 31). */
  arshift(a: Tnum<T>, s: T, bitness: 32 | 64): Tnum<T>;
  add(a: Tnum<T>, b: Tnum<T>): Tnum<T>;
  sub(a: Tnum<T>, b: Tnum<T>): Tnum<T>;
  neg(a: Tnum<T>): Tnum<T>;
  and(a: Tnum<T>, b: Tnum<T>): Tnum<T>;
  or(a: Tnum<T>, b: Tnum<T>): Tnum<T>;
  xor(a: Tnum<T>, b: Tnum<T>): Tnum<T>;
  mul(a: Tnum<T>, b: Tnum<T>): Tnum<T>;
  /** One iteration of tnum_mul's loop: the accumulator after a's lowest trit (a, b not yet shifted). */
  mulStep(acc: Tnum<T>, a: Tnum<T>, b: Tnum<T>): Tnum<T>;
  intersect(a: Tnum<T>, b: Tnum<T>): Tnum<T>;
  union(a: Tnum<T>, b: Tnum<T>): Tnum<T>;
  /**
   * tnum_bswap16/32/64: value and mask byte-swapped in the low `bits` bits (upper bits cleared);
   * a byte is w / 8 bits (8 at w = 64).
   */
  bswap(a: Tnum<T>, bits: number): Tnum<T>;
  /**
   * tnum_step (6.18.y): the smallest member of a above z; a's largest member when z is at or
   * above it, its smallest when z is below it.
   */
  step(a: Tnum<T>, z: T): T;
  /** Keep the low `bytes` bytes (scaled: bytes * w / 64 * 8 bits when w < 64). */
  cast(a: Tnum<T>, bits: number): Tnum<T>;
  isConst(a: Tnum<T>): B;
  /** b's members are all members of a. */
  in(a: Tnum<T>, b: Tnum<T>): B;
  /** x is a member of a. */
  contains(a: Tnum<T>, x: T): B;
  /** tnum_overlap: a and b share a member (no bit known in both is known differently). */
  overlap(a: Tnum<T>, b: Tnum<T>): B;
  /** The low half (the kernel's 32-bit subregister), upper bits cleared. */
  subreg(a: Tnum<T>): Tnum<T>;
  clearSubreg(a: Tnum<T>): Tnum<T>;
  withSubreg(reg: Tnum<T>, sub: Tnum<T>): Tnum<T>;
  constSubreg(a: Tnum<T>, v: T): Tnum<T>;
  subregIsConst(a: Tnum<T>): B;
  ite(c: B, a: Tnum<T>, b: Tnum<T>): Tnum<T>;
}

/** Smear the highest set bit rightwards: the mask (1 << fls(x)) - 1 without the shift by w. */
export function smear<T, B>(A: Algebra<T, B>, n: BVx<T, B>, x: T): T {
  // Zero (a constant range when running) smears to zero: every step below is the identity.
  if (A.known(n.isZero(x)) === true) return x;
  let r = x;
  for (let k = 1; k < n.w; k *= 2) r = n.or(r, n.lshrk(r, k));
  return r;
}

export function tnumOps<T, B>(A: Algebra<T, B>, n: BVx<T, B>): TnumOps<T, B> {
  const w = n.w;
  const half = Math.max(1, Math.floor(w / 2)); // subregister half (meaningful for even w)
  const h = A.bv(half);
  const lowMask = n.c((1n << BigInt(half)) - 1n);
  const TN = (value: T, mask: T): Tnum<T> => ({ value, mask });
  const t: TnumOps<T, B> = {
    w,
    make: TN,
    const: (v) => TN(v, n.zero),
    unknown: () => TN(n.zero, n.ones),
    // chi = min ^ max; every bit at or below its highest set bit may vary.
    range(min, max) {
      const delta = smear(A, n, n.xor(min, max));
      return TN(n.and(min, n.not(delta)), delta);
    },
    lshift: (a, s) => TN(n.shl(a.value, s), n.shl(a.mask, s)),
    rshift: (a, s) => TN(n.lshr(a.value, s), n.lshr(a.mask, s)),
    // Shifting by the minimum amount keeps the widest offset, so value and mask shift alike.
    arshift(a, s, bitness) {
      if (bitness === 64) return TN(n.ashr(a.value, s), n.ashr(a.mask, s));
      const s32 = A.trunc(s, w, half);
      const v = h.ashr(A.trunc(a.value, w, half), s32);
      const m = h.ashr(A.trunc(a.mask, w, half), s32);
      return TN(A.zext(v, half, w), A.zext(m, half, w));
    },
    // sigma - sv shows every bit a carry out of the unknown positions can reach (the carry mask).
    add(a, b) {
      const sm = n.add(a.mask, b.mask);
      const sv = n.add(a.value, b.value);
      const sigma = n.add(sm, sv);
      const chi = n.xor(sigma, sv);
      const mu = n.or(n.or(chi, a.mask), b.mask);
      return TN(n.and(sv, n.not(mu)), mu);
    },
    // alpha and beta are the extreme differences; bits where they differ may borrow.
    sub(a, b) {
      const dv = n.sub(a.value, b.value);
      const alpha = n.add(dv, a.mask);
      const beta = n.sub(dv, b.mask);
      const chi = n.xor(alpha, beta);
      const mu = n.or(n.or(chi, a.mask), b.mask);
      return TN(n.and(dv, n.not(mu)), mu);
    },
    neg: (a) => t.sub(TN(n.zero, n.zero), a),
    and(a, b) {
      const alpha = n.or(a.value, a.mask);
      const beta = n.or(b.value, b.mask);
      const v = n.and(a.value, b.value);
      return TN(v, n.and(n.and(alpha, beta), n.not(v)));
    },
    or(a, b) {
      const v = n.or(a.value, b.value);
      const mu = n.or(a.mask, b.mask);
      return TN(v, n.and(mu, n.not(v)));
    },
    xor(a, b) {
      const v = n.xor(a.value, b.value);
      const mu = n.or(a.mask, b.mask);
      return TN(n.and(v, n.not(mu)), mu);
    },
    // Long multiplication over the trits of a (6.18's tnum_mul): the loop runs w times when
    // proving; running, it stops once a has no bits left, after which every step is the identity.
    mul(a0, b0) {
      let a = a0;
      let b = b0;
      let acc = TN(n.zero, n.zero);
      for (let i = 0; i < w; i++) {
        if (A.known(A.and(n.isZero(a.value), n.isZero(a.mask))) === true) break;
        acc = t.mulStep(acc, a, b);
        a = t.rshift(a, n.one);
        b = t.lshift(b, n.one);
      }
      return acc;
    },
    // A known 1 adds b, an unknown trit takes the union of "added" and "not added", a known 0 adds nothing.
    mulStep(acc, a, b) {
      const bit1 = n.ne(n.and(a.value, n.one), n.zero);
      const bitx = n.ne(n.and(a.mask, n.one), n.zero);
      const k1 = A.known(bit1);
      const kx = A.known(bitx);
      if (k1 !== undefined && kx !== undefined) {
        if (k1) return t.add(acc, b);
        return kx ? t.union(acc, t.add(acc, b)) : acc;
      }
      const added = t.add(acc, b);
      return t.ite(bit1, added, t.ite(bitx, t.union(acc, added), acc));
    },
    // A bit is known only where both agree; disagreeing known bits become 1 (kernel behaviour).
    intersect(a, b) {
      const v = n.or(a.value, b.value);
      const mu = n.and(a.mask, b.mask);
      return TN(n.and(v, n.not(mu)), mu);
    },
    union(a, b) {
      const v = n.and(a.value, b.value);
      const mu = n.or(n.or(n.xor(a.value, b.value), a.mask), b.mask);
      return TN(n.and(v, n.not(mu)), mu);
    },
    bswap(a, bits) {
      const low = t.cast(a, bits);
      return TN(byteSwap(n, low.value, bits, w / 8), byteSwap(n, low.mask, bits, w / 8));
    },
    // Members are value + s for the submasks s of mask, so "above z" is s > d = z - value:
    // increment d within the mask (non-mask positions filled with 1 so the carry ripples through
    // them, and every position below d's highest non-mask 1 too, so that bit cannot trap it).
    step(a, z) {
      const tmax = n.or(a.value, a.mask);
      const d = n.sub(z, a.value);
      const filled = n.or(n.or(d, smear(A, n, n.and(d, n.not(a.mask)))), n.not(a.mask));
      const next = n.or(a.value, n.and(n.add(filled, n.one), a.mask));
      return n.ite(n.uge(z, tmax), tmax, n.ite(n.ult(z, a.value), a.value, next));
    },
    cast(a, bits) {
      if (bits >= w) return a;
      const m = n.c((1n << BigInt(bits)) - 1n);
      return TN(n.and(a.value, m), n.and(a.mask, m));
    },
    isConst: (a) => n.isZero(a.mask),
    in: (a, b) => A.and(n.isZero(n.and(b.mask, n.not(a.mask))), n.eq(n.and(b.value, n.not(a.mask)), a.value)),
    contains: (a, x) => n.eq(n.and(x, n.not(a.mask)), a.value),
    overlap: (a, b) => {
      const mu = n.and(n.not(a.mask), n.not(b.mask));
      return n.eq(n.and(a.value, mu), n.and(b.value, mu));
    },
    subreg: (a) => TN(n.and(a.value, lowMask), n.and(a.mask, lowMask)),
    clearSubreg: (a) => TN(n.and(a.value, n.not(lowMask)), n.and(a.mask, n.not(lowMask))),
    withSubreg: (reg, sub) => t.or(t.clearSubreg(reg), t.subreg(sub)),
    constSubreg: (a, v) => t.withSubreg(a, t.const(v)),
    subregIsConst: (a) => n.isZero(n.and(a.mask, lowMask)),
    ite: (c, a, b) => {
      const k = A.known(c);
      if (k !== undefined) return k ? a : b;
      return TN(n.ite(c, a.value, b.value), n.ite(c, a.mask, b.mask));
    },
  };
  return t;
}

/**
 * The bit-vector algebra the scalar domains are written over. Every abstract operator in this
 * folder is a function of an `Algebra<T, B>`: instantiated with bigint (bigint.ts) it runs in the
 * verifier; instantiated with Z3 bit-vector terms (src/smt/z3-algebra.ts) it is proven. Because
 * it is the same text, the proofs are about exactly the code that runs.
 *
 * Values of type T carry no width of their own: each operation is asked of the `BV` of one width.
 * Semantics follow SMT-LIB (and C on unsigned integers): everything wraps modulo 2^w; shifts by
 * an amount >= w give 0 (lshr, shl) or the sign fill (ashr).
 */

/** Operations at one bit width. */
export interface BV<T, B> {
  readonly w: number;
  /** The constant n mod 2^w (negative n gives its two's complement). */
  c(n: bigint | number): T;
  add(a: T, b: T): T;
  sub(a: T, b: T): T;
  mul(a: T, b: T): T;
  and(a: T, b: T): T;
  or(a: T, b: T): T;
  xor(a: T, b: T): T;
  not(a: T): T;
  neg(a: T): T;
  shl(a: T, s: T): T;
  lshr(a: T, s: T): T;
  ashr(a: T, s: T): T;
  /** SMT-LIB division: x udiv 0 = all ones, x urem 0 = x, x sdiv 0 = (x < 0 ? 1 : -1), x srem 0 = x. */
  udiv(a: T, b: T): T;
  urem(a: T, b: T): T;
  sdiv(a: T, b: T): T;
  srem(a: T, b: T): T;
  eq(a: T, b: T): B;
  ult(a: T, b: T): B;
  ule(a: T, b: T): B;
  slt(a: T, b: T): B;
  sle(a: T, b: T): B;
  ite(c: B, a: T, b: T): T;
  /** Overflow of the mathematical result (C's check_{add,sub,mul}_overflow on this type). */
  uaddOv(a: T, b: T): B;
  saddOv(a: T, b: T): B;
  usubOv(a: T, b: T): B;
  ssubOv(a: T, b: T): B;
  umulOv(a: T, b: T): B;
  smulOv(a: T, b: T): B;
  /** The concrete unsigned value when it is known (always for bigint, for Z3 only of numerals). */
  value(a: T): bigint | undefined;
}

/** The whole algebra: booleans, one BV per width, and width changes. */
export interface Algebra<T, B> {
  readonly name: string;
  readonly tt: B;
  readonly ff: B;
  and(...xs: B[]): B;
  or(...xs: B[]): B;
  not(a: B): B;
  implies(a: B, b: B): B;
  iteB(c: B, a: B, b: B): B;
  /** The concrete truth value when known (always for bigint); lets loops stop early when running. */
  known(b: B): boolean | undefined;
  bv(w: number): BV<T, B>;
  zext(a: T, from: number, to: number): T;
  sext(a: T, from: number, to: number): T;
  trunc(a: T, from: number, to: number): T;
}

/**
 * Derived operations used throughout the domains (written once here over any BV).
 * Named after the kernel's min/max helpers; signed versions compare two's complement patterns.
 */
export interface BVx<T, B> extends BV<T, B> {
  ne(a: T, b: T): B;
  ugt(a: T, b: T): B;
  uge(a: T, b: T): B;
  sgt(a: T, b: T): B;
  sge(a: T, b: T): B;
  umin(a: T, b: T): T;
  umax(a: T, b: T): T;
  smin(a: T, b: T): T;
  smax(a: T, b: T): T;
  /** Shift by a constant amount. */
  shlk(a: T, k: number): T;
  lshrk(a: T, k: number): T;
  ashrk(a: T, k: number): T;
  isZero(a: T): B;
  /** The sign bit is set (a <s 0). */
  neg0(a: T): B;
  readonly zero: T;
  readonly one: T;
  readonly ones: T;
  readonly smaxv: T;
  readonly sminv: T;
}

export function extend<T, B>(A: Algebra<T, B>, v: BV<T, B>): BVx<T, B> {
  const zero = v.c(0);
  const one = v.c(1);
  const ones = v.c(-1);
  const smaxv = v.c((1n << BigInt(v.w - 1)) - 1n);
  const sminv = v.c(1n << BigInt(v.w - 1));
  // Shift amounts by a constant are made once per width (the same numerals for every instance).
  const amounts: T[] = [];
  const amount = (k: number): T => (amounts[k] ??= v.c(k));
  return {
    ...v,
    ne: (a: T, b: T) => A.not(v.eq(a, b)),
    ugt: (a: T, b: T) => v.ult(b, a),
    uge: (a: T, b: T) => v.ule(b, a),
    sgt: (a: T, b: T) => v.slt(b, a),
    sge: (a: T, b: T) => v.sle(b, a),
    umin: (a: T, b: T) => v.ite(v.ult(a, b), a, b),
    umax: (a: T, b: T) => v.ite(v.ult(a, b), b, a),
    smin: (a: T, b: T) => v.ite(v.slt(a, b), a, b),
    smax: (a: T, b: T) => v.ite(v.slt(a, b), b, a),
    shlk: (a: T, k: number) => v.shl(a, amount(k)),
    lshrk: (a: T, k: number) => v.lshr(a, amount(k)),
    ashrk: (a: T, k: number) => v.ashr(a, amount(k)),
    isZero: (a: T) => v.eq(a, zero),
    neg0: (a: T) => v.slt(a, zero),
    zero,
    one,
    ones,
    smaxv,
    sminv,
  };
}

/**
 * Reverse the order of the `bits / byte` bytes in the low `bits` bits of x (upper bits are
 * dropped). At register width 64 a byte is 8 bits (swab16/32/64); scaled-down widths use
 * byte = w / 8 so that the same permutation is proven at every width.
 */
export function byteSwap<T, B>(v: BVx<T, B>, x: T, bits: number, byte: number): T {
  const bm = v.c((1n << BigInt(byte)) - 1n);
  let r = v.zero;
  for (let i = 0; i < bits / byte; i++) {
    const b = v.and(v.lshrk(x, byte * i), bm);
    r = v.or(r, v.shlk(b, bits - byte - byte * i));
  }
  return r;
}

/**
 * The running instantiation of the algebra: T = bigint holding the unsigned w-bit pattern,
 * B = boolean. Measured against alternatives (see README in proofs/): bigint with
 * BigInt.asUintN keeps the code one text for all widths; the scalar domain costs a few
 * microseconds per ALU instruction with it.
 */
import { extend, type Algebra, type BV, type BVx } from './algebra.js';

function bvBigint(w: number): BV<bigint, boolean> {
  const W = BigInt(w);
  const max = (1n << W) - 1n;
  const sign = 1n << (W - 1n);
  const u = (x: bigint): bigint => BigInt.asUintN(w, x);
  const s = (x: bigint): bigint => BigInt.asIntN(w, x);
  return {
    w,
    c: (n) => BigInt.asUintN(w, BigInt(n)),
    add: (a, b) => u(a + b),
    sub: (a, b) => u(a - b),
    mul: (a, b) => u(a * b),
    and: (a, b) => a & b,
    or: (a, b) => a | b,
    xor: (a, b) => a ^ b,
    not: (a) => a ^ max,
    neg: (a) => u(-a),
    shl: (a, k) => (k >= W ? 0n : u(a << k)),
    lshr: (a, k) => (k >= W ? 0n : a >> k),
    ashr: (a, k) => u(s(a) >> (k >= W ? W - 1n : k)),
    udiv: (a, b) => (b === 0n ? max : a / b),
    urem: (a, b) => (b === 0n ? a : a % b),
    sdiv: (a, b) => (b === 0n ? (a & sign ? 1n : max) : u(s(a) / s(b))),
    srem: (a, b) => (b === 0n ? a : u(s(a) % s(b))),
    eq: (a, b) => a === b,
    ult: (a, b) => a < b,
    ule: (a, b) => a <= b,
    slt: (a, b) => (a ^ sign) < (b ^ sign),
    sle: (a, b) => (a ^ sign) <= (b ^ sign),
    ite: (c, a, b) => (c ? a : b),
    uaddOv: (a, b) => a + b > max,
    saddOv: (a, b) => {
      const r = s(a) + s(b);
      return r !== s(r);
    },
    usubOv: (a, b) => a < b,
    ssubOv: (a, b) => {
      const r = s(a) - s(b);
      return r !== s(r);
    },
    umulOv: (a, b) => a * b > max,
    smulOv: (a, b) => {
      const r = s(a) * s(b);
      return r !== s(r);
    },
    value: (a) => a,
  };
}

const cache = new Map<number, BVx<bigint, boolean>>();

export const bigintAlgebra: Algebra<bigint, boolean> = {
  name: 'bigint',
  tt: true,
  ff: false,
  and: (...xs) => xs.every((x) => x),
  or: (...xs) => xs.some((x) => x),
  not: (a) => !a,
  implies: (a, b) => !a || b,
  iteB: (c, a, b) => (c ? a : b),
  known: (b) => b,
  bv: (w) => bvx(w),
  zext: (a) => a,
  sext: (a, from, to) => BigInt.asUintN(to, BigInt.asIntN(from, a)),
  trunc: (a, _from, to) => BigInt.asUintN(to, a),
};

/** The extended BV of width w for bigint (cached: the domains ask for it once per width). */
export function bvx(w: number): BVx<bigint, boolean> {
  let v = cache.get(w);
  if (!v) {
    v = extend(bigintAlgebra, bvBigint(w));
    cache.set(w, v);
  }
  return v;
}

/** Signed value of a w-bit pattern. */
export function signed(x: bigint, w = 64): bigint {
  return BigInt.asIntN(w, x);
}

/**
 * The running instantiation of the algebra: T = bigint holding the unsigned w-bit pattern,
 * B = boolean. bigint keeps the code one text for all widths. Written for V8's BigInt fast paths
 * (measured): `BigInt.asUintN(64, a op b)` and `asIntN` are
 * lowered to machine words without allocating, while a plain `a + b > max` or an xor with the
 * sign bit allocates a heap BigInt per operation; signed comparisons therefore branch on the sign
 * bits instead of flipping them, overflow checks compare wrapped results, and small constants
 * come from a per-width table instead of BigInt(n) each time.
 */
import { extend, type Algebra, type BV, type BVx } from './algebra.js';

/** Constants c(0) .. c(SMALL - 1) of each width are built once (shift amounts, widths, 0/1). */
const SMALL = 130;

function bvBigint(w: number): BV<bigint, boolean> {
  const W = BigInt(w);
  const max = (1n << W) - 1n;
  const sign = 1n << (W - 1n);
  const u = (x: bigint): bigint => BigInt.asUintN(w, x);
  const s = (x: bigint): bigint => BigInt.asIntN(w, x);
  const small: bigint[] = [];
  for (let i = 0; i < SMALL; i++) small.push(u(BigInt(i)));
  const minusOne = max;
  // a <s b on patterns: different signs decide by the sign, equal signs compare unsigned.
  const slt = (a: bigint, b: bigint): boolean => {
    const na = a >= sign;
    return na === b >= sign ? a < b : na;
  };
  const sle = (a: bigint, b: bigint): boolean => {
    const na = a >= sign;
    return na === b >= sign ? a <= b : na;
  };
  return {
    w,
    c: (n) => {
      if (typeof n === 'number') {
        if (n >= 0 && n < SMALL && Number.isInteger(n)) return small[n]!;
        if (n === -1) return minusOne;
      }
      return u(BigInt(n));
    },
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
    slt,
    sle,
    ite: (c, a, b) => (c ? a : b),
    // The wrapped sum is below an operand exactly when the true sum left the range.
    uaddOv: (a, b) => u(a + b) < a,
    // Signed overflow: both operands have the same sign and the wrapped sum has the other one.
    saddOv: (a, b) => {
      const na = a >= sign;
      return na === b >= sign && u(a + b) >= sign !== na;
    },
    usubOv: (a, b) => a < b,
    // a - b overflows when the signs differ and the wrapped difference has b's sign.
    ssubOv: (a, b) => {
      const na = a >= sign;
      return na !== b >= sign && u(a - b) >= sign !== na;
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
  and: (...xs) => {
    for (let i = 0; i < xs.length; i++) if (!xs[i]) return false;
    return true;
  },
  or: (...xs) => {
    for (let i = 0; i < xs.length; i++) if (xs[i]) return true;
    return false;
  },
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

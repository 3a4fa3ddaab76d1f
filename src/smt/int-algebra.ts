/**
 * The bit-vector algebra instantiated with Z3 integers: a w-bit value is an integer in [0, 2^w),
 * arithmetic is exact modulo 2^w (add, sub, mul, neg, width changes), comparisons and the overflow
 * predicates are the integer facts they stand for (C's check_*_overflow is literally "the
 * mathematical result is out of range"). Bitwise operations, shifts and division are uninterpreted
 * functions: any statement proven for every interpretation of them holds for the real one, so a
 * proof in this instantiation is a proof about the same generic code. Used where bit-blasting
 * fails: products of two symbolic values (the ranges of BPF_MUL), which Z3's nonlinear integer
 * arithmetic handles by monotonicity where a SAT encoding of two multipliers does not.
 */
import type { Algebra, BV } from '../verifier/domains/algebra.js';
import type { Z3Ctx } from './z3-algebra.js';

type Ctx = Z3Ctx;
export type ZI = ReturnType<Ctx['Int']['const']>;
export type ZIB = ReturnType<Ctx['Bool']['const']>;

/** The two's complement value of a w-bit pattern a in [0, 2^w): the same term the algebra's signed comparisons use. */
export function signedInt(Z: Ctx, a: ZI, w: number): ZI {
  const M = 1n << BigInt(w);
  const c = a.ge(Z.Int.val(M >> 1n));
  return Z.isTrue(c) ? (a.sub(Z.Int.val(M)) as ZI) : Z.isFalse(c) ? a : (Z.If(c, a.sub(Z.Int.val(M)), a) as ZI);
}

export function intAlgebra(Z: Ctx): Algebra<ZI, ZIB> {
  const cache = new Map<number, BV<ZI, ZIB>>();
  const known = (b: ZIB): boolean | undefined => (Z.isTrue(b) ? true : Z.isFalse(b) ? false : undefined);
  const ite = (c: ZIB, a: ZI, b: ZI): ZI => {
    const k = known(c);
    return k === undefined ? (Z.If(c, a, b) as ZI) : k ? a : b;
  };
  const uf = new Map<string, ReturnType<Ctx['Function']['declare']>>();
  const fn = (name: string, w: number, arity: 1 | 2) => {
    const key = `${name}${w}`;
    let f = uf.get(key);
    if (!f) {
      f = arity === 1 ? Z.Function.declare(key, Z.Int.sort(), Z.Int.sort()) : Z.Function.declare(key, Z.Int.sort(), Z.Int.sort(), Z.Int.sort());
      uf.set(key, f);
    }
    return f;
  };
  const bv = (w: number): BV<ZI, ZIB> => {
    const hit = cache.get(w);
    if (hit) return hit;
    const M = 1n << BigInt(w);
    const half = M >> 1n;
    const c = (n: bigint | number): ZI => Z.Int.val(BigInt.asUintN(w, BigInt(n)));
    const Mv = Z.Int.val(M);
    const s = (a: ZI): ZI => signedInt(Z, a, w);
    const wrap = (x: ZI): ZI => x.mod(Mv) as ZI;
    const inS = (x: ZI): ZIB => Z.And(x.ge(Z.Int.val(-half)), x.lt(Z.Int.val(half)));
    const un = (name: string) => (a: ZI): ZI => fn(name, w, 1).call(a) as ZI;
    const bin = (name: string) => (a: ZI, b: ZI): ZI => fn(name, w, 2).call(a, b) as ZI;
    const v: BV<ZI, ZIB> = {
      w,
      c,
      add: (a, b) => { const x = a.add(b) as ZI; return ite(x.ge(Mv), x.sub(Mv) as ZI, x); },
      sub: (a, b) => ite(a.ge(b), a.sub(b) as ZI, a.sub(b).add(Mv) as ZI),
      mul: (a, b) => wrap(a.mul(b) as ZI),
      neg: (a) => ite(a.eq(Z.Int.val(0)), a, Mv.sub(a) as ZI),
      and: bin('and'), or: bin('or'), xor: bin('xor'), not: un('not'),
      shl: bin('shl'), lshr: bin('lshr'), ashr: bin('ashr'),
      udiv: bin('udiv'), urem: bin('urem'), sdiv: bin('sdiv'), srem: bin('srem'),
      eq: (a, b) => a.eq(b),
      ult: (a, b) => a.lt(b),
      ule: (a, b) => a.le(b),
      slt: (a, b) => s(a).lt(s(b)),
      sle: (a, b) => s(a).le(s(b)),
      ite,
      uaddOv: (a, b) => a.add(b).ge(Mv),
      saddOv: (a, b) => Z.Not(inS(s(a).add(s(b)) as ZI)),
      usubOv: (a, b) => a.lt(b),
      ssubOv: (a, b) => Z.Not(inS(s(a).sub(s(b)) as ZI)),
      umulOv: (a, b) => a.mul(b).ge(Mv),
      smulOv: (a, b) => Z.Not(inS(s(a).mul(s(b)) as ZI)),
      value: (a) => (Z.isIntVal(a) ? a.value() : undefined),
    };
    cache.set(w, v);
    return v;
  };
  const and = (...xs: ZIB[]): ZIB => {
    const ys = xs.filter((x) => !Z.isTrue(x));
    if (ys.some((x) => Z.isFalse(x))) return Z.Bool.val(false);
    return ys.length === 0 ? Z.Bool.val(true) : ys.length === 1 ? ys[0]! : Z.And(...ys);
  };
  const or = (...xs: ZIB[]): ZIB => {
    const ys = xs.filter((x) => !Z.isFalse(x));
    if (ys.some((x) => Z.isTrue(x))) return Z.Bool.val(true);
    return ys.length === 0 ? Z.Bool.val(false) : ys.length === 1 ? ys[0]! : Z.Or(...ys);
  };
  return {
    name: 'z3-int',
    tt: Z.Bool.val(true),
    ff: Z.Bool.val(false),
    and,
    or,
    not: (a) => (Z.isTrue(a) ? Z.Bool.val(false) : Z.isFalse(a) ? Z.Bool.val(true) : Z.Not(a)),
    implies: (a, b) => Z.Implies(a, b),
    iteB: (c, a, b) => { const k = known(c); return k === undefined ? (Z.If(c, a, b) as ZIB) : k ? a : b; },
    known,
    bv,
    zext: (a) => a,
    sext: (a, from, to) => (to === from ? a : ite(a.ge(Z.Int.val(1n << BigInt(from - 1))), a.add(Z.Int.val((1n << BigInt(to)) - (1n << BigInt(from)))) as ZI, a)),
    trunc: (a, from, to) => (to === from ? a : (a.mod(Z.Int.val(1n << BigInt(to))) as ZI)),
  };
}

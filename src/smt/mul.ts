/**
 * BPF_MUL at full width by decomposition (proofs/README.md, "Multiplication"). Bit-blasting the
 * range part (two multipliers compared through their overflow checks) does not finish beyond 8-16
 * bits, so the proof is split into statements that each suit one solver:
 * - mul.corners (ℤ): a <= x <= b, c <= y <= d  =>  min of the corner products <= x·y <= their max;
 * - mul.wrap (integers at width w): when u·v (unsigned) or s(u)·s(v) (s: the two's complement
 *   value) fits in w bits, the w-bit product has that value;
 * - mul.u64, mul.s64, mul.u32, mul.s32: the bounds scalar_min_max_mul / scalar32_min_max_mul
 *   compute (k.mul64 / k.mul32, the code that runs, in the integer instantiation of the algebra)
 *   hold x·y, with instances of the two lemmas above in the premise;
 * - mul.ovf.u, mul.ovf.s (bit-vectors at width w): the overflow checks as the bit-vector
 *   instantiation computes them are "the double-width product leaves the w-bit range";
 * - alu64.mul, alu32.mul (bit-vectors): the whole operation, with tnum_mul's result and the bounds
 *   of mul64/mul32 taken as extra abstract inputs constrained only by their lemmas
 *   (tnum.mul and the four range lemmas, instantiated at the operands the code passes them).
 */
import type { Kernel } from '../verifier/domains/kernel.js';
import { copyReg, type Reg } from '../verifier/domains/scalar.js';
import type { Obligation } from './obligation.js';
import { signedInt, type ZI, type ZIB } from './int-algebra.js';
import type { Semantics } from './semantics.js';
import { z3Algebra, type Z3Ctx } from './z3-algebra.js';

type RangeField = 'umin' | 'umax' | 'smin' | 'smax' | 'u32min' | 'u32max' | 's32min' | 's32max';
interface Side { lo: RangeField; hi: RangeField; signed: boolean }

/** The unsigned and signed bounds mul64 (sub = false) or mul32 (sub = true) writes. */
const sides = (sub: boolean): Side[] => sub
  ? [{ lo: 'u32min', hi: 'u32max', signed: false }, { lo: 's32min', hi: 's32max', signed: true }]
  : [{ lo: 'umin', hi: 'umax', signed: false }, { lo: 'smin', hi: 'smax', signed: true }];

/** The operands mul64/mul32 multiply: the registers' values, or their low halves. */
const operands = <T, B>(k: Kernel<T, B>, sub: boolean, x: T[]): [T, T] => (sub ? [k.lo(x[0]!), k.lo(x[1]!)] : [x[0]!, x[1]!]);

/** lo <= v <= hi in the side's order (unsigned or signed), at the side's width. */
function within<T, B>(k: Kernel<T, B>, sub: boolean, side: Side, r: Reg<T>, v: T): B {
  const bv = sub ? k.h : k.n;
  const le = side.signed ? bv.sle : bv.ule;
  return k.A.and(le(r[side.lo], v), le(v, r[side.hi]));
}

const min2 = (Z: Z3Ctx, p: ZI, q: ZI): ZI => Z.If(p.le(q), p, q) as ZI;
const max2 = (Z: Z3Ctx, p: ZI, q: ZI): ZI => Z.If(p.le(q), q, p) as ZI;

/** The corner statement over ℤ: premise and the two bounds on x·y. Used by the lemma and its instances. */
function corners(Z: Z3Ctx, a: ZI, b: ZI, c: ZI, d: ZI, x: ZI, y: ZI): { premise: ZIB; lower: ZIB; upper: ZIB } {
  const p = [a.mul(c), a.mul(d), b.mul(c), b.mul(d)] as ZI[];
  const xy = x.mul(y) as ZI;
  return {
    premise: Z.And(a.le(x), x.le(b), c.le(y), y.le(d)),
    lower: min2(Z, min2(Z, p[0]!, p[1]!), min2(Z, p[2]!, p[3]!)).le(xy),
    upper: xy.le(max2(Z, max2(Z, p[0]!, p[1]!), max2(Z, p[2]!, p[3]!))),
  };
}

/** The value of a w-bit pattern in [0, 2^w) as an integer, unsigned or two's complement. */
const valueOf = (Z: Z3Ctx, t: ZI, w: number, signed: boolean): ZI => (signed ? signedInt(Z, t, w) : t);

/**
 * mul.wrap at width w for u, v in [0, 2^w): when the product of their values fits in w bits, the
 * w-bit product (`prod`, as the integer algebra builds it) has that value.
 */
function wrap(Z: Z3Ctx, u: ZI, v: ZI, prod: ZI, w: number, signed: boolean): { premise: ZIB; conclusion: ZIB } {
  const M = 1n << BigInt(w);
  const [lo, hi] = signed ? [-(M >> 1n), M >> 1n] : [0n, M];
  const P = valueOf(Z, u, w, signed).mul(valueOf(Z, v, w, signed)) as ZI;
  return { premise: Z.And(P.ge(Z.Int.val(lo)), P.lt(Z.Int.val(hi))), conclusion: valueOf(Z, prod, w, signed).eq(P) };
}

function cornersLemma(): Obligation {
  return {
    name: 'mul.corners', group: 'alu', abstract: 0, concrete: 0, fixedWidth: 0,
    build(k) { return { premise: k.A.tt, conclusion: [], outputs: {} }; },
    lemma(Z) {
      const [a, b, c, d, x, y] = ['a', 'b', 'c', 'd', 'x', 'y'].map((v) => Z.Int.const(v));
      const s = corners(Z, a!, b!, c!, d!, x!, y!);
      return [Z.And(s.premise, Z.Not(s.lower)), Z.And(s.premise, Z.Not(s.upper))];
    },
  };
}

/**
 * Proven at the register width N and the subregister width N/2 (the widths its instances use);
 * the signed case split by the operands' signs (4 small queries instead of one slow one).
 */
function wrapLemma(): Obligation {
  return {
    name: 'mul.wrap', group: 'alu', abstract: 0, concrete: 0,
    build(k) { return { premise: k.A.tt, conclusion: [], outputs: {} }; },
    lemma(Z, N) {
      return [N, N / 2].flatMap((w) => {
        const M = Z.Int.val(1n << BigInt(w));
        const half = Z.Int.val(1n << BigInt(w - 1));
        const [u, v] = [`u${w}`, `v${w}`].map((s) => Z.Int.const(s)) as [ZI, ZI];
        const dom = [u.ge(0), u.lt(M), v.ge(0), v.lt(M)];
        const prod = u.mul(v).mod(M) as ZI;
        const negation = (signed: boolean, ...cases: ZIB[]): ZIB => {
          const s = wrap(Z, u, v, prod, w, signed);
          return Z.And(...dom, ...cases, s.premise, Z.Not(s.conclusion));
        };
        const signs = [true, false].flatMap((nu) => [true, false].map((nv) => [nu ? u.ge(half) : u.lt(half), nv ? v.ge(half) : v.lt(half)]));
        return [negation(false), ...signs.map((c) => negation(true, ...c))];
      });
    },
  };
}

/**
 * The overflow checks of the bit-vector instantiation (z3-algebra.ts: Z3's bvumul_noovfl,
 * bvsmul_noovfl/udfl) against the double-width product, which cannot wrap and so is the integer
 * product. Unsigned: umulOv ⟺ its high half is not 0, and the w-bit product is its low half;
 * signed: smulOv ⟺ the signed product leaves [-2^(w-1), 2^(w-1)). The integer instantiation states
 * these checks as the integer facts directly (as the running bigint code computes them), so this
 * ties the two instantiations of the same code.
 */
function ovfLemma(signed: boolean): Obligation {
  return {
    name: `mul.ovf.${signed ? 's' : 'u'}`, group: 'alu', abstract: 0, concrete: 0,
    // Multiplier-equivalence checking by bit-blasting (measured): unsigned at 64 bits takes ~100 s of
    // CPU, beyond the default budget (`--width 64` with a larger --timeout proves it); signed at 24
    // bits exceeds 150 s in two of its four sign cases.
    startWidth: signed ? 16 : 32,
    // signed at 16 bits: ~8 s of CPU, over the default 30 s of wall clock on a loaded machine
    ...(signed && { budgetScale: 3 }),
    build(k) { return { premise: k.A.tt, conclusion: [], outputs: {} }; },
    lemma(Z, N) {
      const v = z3Algebra(Z).bv(N);
      const [a, b] = [Z.BitVec.const('a', N), Z.BitVec.const('b', N)];
      if (signed) {
        const S = a.signExt(N).mul(b.signExt(N));
        const lim = 1n << BigInt(N - 1);
        const fits = Z.And(S.sge(Z.BitVec.val(-lim, 2 * N)), S.slt(Z.BitVec.val(lim, 2 * N)));
        return [Z.Not(v.smulOv(a, b).eq(Z.Not(fits)))];
      }
      const U = a.zeroExt(N).mul(b.zeroExt(N));
      return [Z.Not(v.umulOv(a, b).eq(U.extract(2 * N - 1, N).neq(Z.BitVec.val(0, N)))), Z.Not(v.mul(a, b).eq(U.extract(N - 1, 0)))];
    },
  };
}

/**
 * The bounds mul64 (sub = false) / mul32 (sub = true) compute hold the product of any members:
 * only the ranges of that side constrain the inputs (a stronger statement than the whole
 * operation's premise). In the integer instantiation, at full width.
 */
function rangeLemma(sub: boolean, signed: boolean): Obligation {
  const side = sides(sub)[signed ? 1 : 0]!;
  const name = `mul.${signed ? 's' : 'u'}${sub ? 32 : 64}`;
  return {
    name, group: 'alu', abstract: 2, concrete: 2, arith: 'int',
    assumes: 'mul.corners, mul.wrap',
    build(k, _sem, a, x) {
      const [p, q] = [a[0]!, a[1]!];
      const [xi, yi] = operands(k, sub, x);
      const d = copyReg(p);
      if (sub) k.mul32(d, q);
      else k.mul64(d, q);
      const bv = sub ? k.h : k.n;
      const prod = bv.mul(xi, yi);
      const le = signed ? bv.sle : bv.ule;
      return {
        premise: k.A.and(within(k, sub, side, p, xi), within(k, sub, side, q, yi)),
        conclusion: [le(d[side.lo], prod), le(prod, d[side.hi])],
        outputs: { result: d },
      };
    },
    // The lemmas at the values of the bounds and operands: the corner products bound x·y, and each
    // product that fits is its w-bit product.
    intFacts(Z, k, a, x) {
      const w = sub ? k.H : k.N;
      const bv = sub ? k.h : k.n;
      const [p, q] = [a[0]!, a[1]!];
      const [xi, yi] = operands(k, sub, x);
      const V = (t: ZI): ZI => valueOf(Z, t, w, signed);
      const c = corners(Z, V(p[side.lo]), V(p[side.hi]), V(q[side.lo]), V(q[side.hi]), V(xi), V(yi));
      const pairs: [ZI, ZI][] = [[p[side.lo], q[side.lo]], [p[side.lo], q[side.hi]], [p[side.hi], q[side.lo]], [p[side.hi], q[side.hi]], [xi, yi]];
      return [
        Z.Implies(c.premise, Z.And(c.lower, c.upper)),
        ...pairs.map(([u, v]) => { const s = wrap(Z, u, v, bv.mul(u, v), w, signed); return Z.Implies(s.premise, s.conclusion); }),
      ];
    },
  };
}

/**
 * The whole BPF_MUL (ALU64 or ALU32) at full width in bit-vectors: var_off is tnum_mul's result,
 * an extra abstract input m with x·y ∈ γ(m) (tnum.mul); mul64 and mul32 write bounds taken from
 * another abstract input R, constrained only by the range lemmas instantiated at the operands the
 * code passes them. What is left to prove is the operation around them (order of the steps,
 * truncation and zero-extension of ALU32).
 */
function aluMul(alu32: boolean): Obligation {
  return {
    name: `alu${alu32 ? 32 : 64}.mul`, group: 'alu', abstract: 4, concrete: 2, moduloSync: true,
    assumes: 'tnum.mul, mul.u64, mul.s64, mul.u32, mul.s32',
    build<T, B>(k: Kernel<T, B>, sem: Semantics<T, B>, a: Reg<T>[], x: T[]) {
      const { A } = k;
      const orig = { t: k.t, mul32: k.mul32, mul64: k.mul64 };
      const [m, R] = [a[2]!, a[3]!];
      const facts: B[] = [];
      // The range lemma of this side, instantiated at the registers and values the code multiplies.
      const contract = (sub: boolean) => (d: Reg<T>, s: Reg<T>): void => {
        const [xi, yi] = operands(k, sub, x);
        const prod = (sub ? k.h : k.n).mul(xi, yi);
        for (const side of sides(sub)) {
          const inSide = (r: Reg<T>, v: T): B => within(k, sub, side, r, v);
          facts.push(A.implies(A.and(inSide(d, xi), inSide(s, yi)), inSide(R, prod)));
          d[side.lo] = R[side.lo];
          d[side.hi] = R[side.hi];
        }
      };
      k.t = { ...orig.t, mul: () => ({ value: m.value, mask: m.mask }) };
      k.mul32 = contract(true);
      k.mul64 = contract(false);
      try {
        const r = k.alu('mul', alu32, a[0]!, a[1]!);
        const premise = A.and(k.contains(a[0]!, x[0]!), k.contains(a[1]!, x[1]!), orig.t.contains(m, k.n.mul(x[0]!, x[1]!)), ...facts);
        return { premise, conclusion: k.containsParts(r, sem.alu('mul', alu32, x[0]!, x[1]!)), outputs: { result: r } };
      } finally {
        Object.assign(k, orig);
      }
    },
  };
}

/** The multiplication obligations, in table order. */
export function mulObligations(): Obligation[] {
  return [
    aluMul(false), aluMul(true),
    rangeLemma(false, false), rangeLemma(false, true), rangeLemma(true, false), rangeLemma(true, true),
    cornersLemma(), wrapLemma(), ovfLemma(false), ovfLemma(true),
  ];
}

/**
 * Optimality of the tnum operators: the result is the best tnum (no sound tnum has fewer unknown
 * bits). Soundness (obligations.ts) shows every known bit of the result is right; these
 * obligations show every unknown bit i is really unknown: two pairs of members of the inputs give
 * results that differ at bit i, so any tnum holding all results must leave bit i unknown. The
 * pairs are explicit witnesses (functions of the inputs and of i), so each statement is
 * quantifier-free and Z3 checks it at 64 bits:
 *   and/or: the smallest and the largest members; xor, union, shifts: one member and the same
 *   with the input's unknown bit behind i flipped; add/sub: bits where the carry (borrow) can
 *   differ are shown by the extreme sums (alpha and beta), the other unknown bits by flipping the
 *   unknown input bit i itself (adding 2^i always flips bit i).
 */
import type { BVx } from '../verifier/domains/algebra.js';
import type { Kernel } from '../verifier/domains/kernel.js';
import type { Tnum } from '../verifier/domains/tnum.js';
import type { Obligation } from './obligation.js';

type Pair<T> = [T, T];

interface Witness<T> {
  /** Two input assignments whose results differ at bit i. */
  w0: T[];
  w1: T[];
}

/** value & mask = 0: γ is not empty (the only tnums the verifier makes). */
const wellFormed = <T, B>(k: Kernel<T, B>, t: Tnum<T>): B => k.n.isZero(k.n.and(t.value, t.mask));
const bit = <T, B>(n: BVx<T, B>, x: T, i: T): T => n.and(n.lshr(x, i), n.one);

function optimal(name: string, inputs: 1 | 2, shift: boolean,
  result: <T, B>(k: Kernel<T, B>, a: Tnum<T>[], s: T) => Tnum<T>,
  concrete: <T, B>(k: Kernel<T, B>, x: T[], s: T) => T,
  witness: <T, B>(k: Kernel<T, B>, a: Tnum<T>[], i: T, e: T, s: T, r: Tnum<T>) => Witness<T>): Obligation {
  return {
    name: `optimal.tnum.${name}`, group: 'optimal', abstract: inputs, concrete: shift ? 2 : 1,
    build(k, _sem, regs, x) {
      const { A, n, t } = k;
      const a = regs.map((r) => ({ value: r.value, mask: r.mask }));
      const i = n.and(x[0]!, n.c(k.N - 1));
      const s = shift ? n.and(x[1]!, n.c(k.N - 1)) : n.zero;
      const e = n.shl(n.one, i);
      const r = result(k, a, s);
      const { w0, w1 } = witness(k, a, i, e, s, r);
      const premise = A.and(...a.map((p) => wellFormed(k, p)), n.eq(bit(n, r.mask, i), n.one));
      const members = (w: typeof w0): (typeof premise)[] => w.map((v, j) => t.contains(a[j]!, v));
      return {
        premise,
        conclusion: [...members(w0), ...members(w1), A.not(n.eq(bit(n, concrete(k, w0, s), i), bit(n, concrete(k, w1, s), i)))],
        outputs: { result: { ...k.unknown(), value: r.value, mask: r.mask } },
      };
    },
  };
}

/** The pair (x, x with bit i set) for an input whose bit i is unknown. */
const flip = <T, B>(k: Kernel<T, B>, v: T, e: T): Pair<T> => [v, k.n.or(v, e)];

export function optimalityObligations(): Obligation[] {
  const out: Obligation[] = [];
  out.push(optimal('and', 2, false, (k, a) => k.t.and(a[0]!, a[1]!), (k, x) => k.n.and(x[0]!, x[1]!),
    (k, a) => ({ w0: [a[0]!.value, a[1]!.value], w1: [k.n.or(a[0]!.value, a[0]!.mask), k.n.or(a[1]!.value, a[1]!.mask)] })));
  out.push(optimal('or', 2, false, (k, a) => k.t.or(a[0]!, a[1]!), (k, x) => k.n.or(x[0]!, x[1]!),
    (k, a) => ({ w0: [a[0]!.value, a[1]!.value], w1: [k.n.or(a[0]!.value, a[0]!.mask), k.n.or(a[1]!.value, a[1]!.mask)] })));
  out.push(optimal('xor', 2, false, (k, a) => k.t.xor(a[0]!, a[1]!), (k, x) => k.n.xor(x[0]!, x[1]!), (k, a, i, e) => {
    const inA = k.n.eq(bit(k.n, a[0]!.mask, i), k.n.one);
    return { w0: [a[0]!.value, a[1]!.value], w1: [k.n.ite(inA, k.n.or(a[0]!.value, e), a[0]!.value), k.n.ite(inA, a[1]!.value, k.n.or(a[1]!.value, e))] };
  }));
  // union: the "result" of a pair is its one member (x0 from a, x1 from b): compare members.
  out.push({
    name: 'optimal.tnum.union', group: 'optimal', abstract: 2, concrete: 1,
    build(k, _sem, regs, x) {
      const { A, n, t } = k;
      const [a, b] = regs.map((r) => ({ value: r.value, mask: r.mask })) as [Tnum<typeof x[0]>, Tnum<typeof x[0]>];
      const i = n.and(x[0]!, n.c(k.N - 1));
      const e = n.shl(n.one, i);
      const r = t.union(a, b);
      // Bit i unknown in a: a's member with and without it; in b: likewise; else known in both, disagreeing: a.value vs b.value.
      const inA = n.eq(bit(n, a.mask, i), n.one);
      const inB = n.eq(bit(n, b.mask, i), n.one);
      const u = n.ite(inA, a.value, n.ite(inB, b.value, a.value));
      const v = n.ite(inA, n.or(a.value, e), n.ite(inB, n.or(b.value, e), b.value));
      const premise = A.and(wellFormed(k, a), wellFormed(k, b), n.eq(bit(n, r.mask, i), n.one));
      const member = (y: typeof u): typeof premise => A.or(t.contains(a, y), t.contains(b, y));
      return { premise, conclusion: [member(u), member(v), A.not(n.eq(bit(n, u, i), bit(n, v, i)))], outputs: {} };
    },
  });
  out.push(optimal('add', 2, false, (k, a) => k.t.add(a[0]!, a[1]!), (k, x) => k.n.add(x[0]!, x[1]!), (k, a, i, e) => carry(k, a, i, e, false)));
  out.push(optimal('sub', 2, false, (k, a) => k.t.sub(a[0]!, a[1]!), (k, x) => k.n.sub(x[0]!, x[1]!), (k, a, i, e) => carry(k, a, i, e, true)));
  // neg is 0 - a: the sub witnesses with the constant 0 as minuend.
  out.push(optimal('neg', 1, false, (k, a) => k.t.neg(a[0]!), (k, x) => k.n.neg(x[0]!), (k, a, i, e) => {
    const w = carry(k, [k.t.const(k.n.zero), a[0]!], i, e, true);
    return { w0: [w.w0[1]!], w1: [w.w1[1]!] };
  }));
  const src = <T, B>(k: Kernel<T, B>, i: T, s: T, dir: 'l' | 'r' | 'a'): T => {
    const { n } = k;
    if (dir === 'l') return n.sub(i, s);
    const j = n.add(i, s);
    return dir === 'r' ? j : n.ite(n.ult(j, n.c(k.N)), j, n.c(k.N - 1));
  };
  for (const [nm, dir] of [['lshift', 'l'], ['rshift', 'r'], ['arshift', 'a']] as const) {
    out.push(optimal(nm, 1, true,
      (k, a, s) => (dir === 'l' ? k.t.lshift(a[0]!, s) : dir === 'r' ? k.t.rshift(a[0]!, s) : k.t.arshift(a[0]!, s, 64)),
      (k, x, s) => (dir === 'l' ? k.n.shl(x[0]!, s) : dir === 'r' ? k.n.lshr(x[0]!, s) : k.n.ashr(x[0]!, s)),
      (k, a, i, _e, s) => {
        const [u, v] = flip(k, a[0]!.value, k.n.shl(k.n.one, src(k, i, s, dir)));
        return { w0: [u], w1: [v] };
      }));
  }
  return out;
}

/** add/sub witnesses: extreme members where the carry (borrow) mask chi is set, else flip bit i. */
function carry<T, B>(k: Kernel<T, B>, a: Tnum<T>[], i: T, e: T, sub: boolean): Witness<T> {
  const { n } = k;
  const [p, q] = [a[0]!, a[1]!];
  const pMax = n.or(p.value, p.mask);
  const qMax = n.or(q.value, q.mask);
  let chi: T;
  let c0: T[];
  let c1: T[];
  if (!sub) {
    const sv = n.add(p.value, q.value);
    chi = n.xor(n.add(sv, n.add(p.mask, q.mask)), sv);
    c0 = [p.value, q.value];
    c1 = [pMax, qMax];
  } else {
    const dv = n.sub(p.value, q.value);
    chi = n.xor(n.add(dv, p.mask), n.sub(dv, q.mask));
    c0 = [pMax, q.value]; // dv + p.mask = alpha
    c1 = [p.value, qMax]; // dv - q.mask = beta
  }
  const inChi = n.eq(bit(n, chi, i), n.one);
  const inP = n.eq(bit(n, p.mask, i), n.one);
  return {
    w0: [n.ite(inChi, c0[0]!, p.value), n.ite(inChi, c0[1]!, q.value)],
    w1: [n.ite(inChi, c1[0]!, n.ite(inP, n.or(p.value, e), p.value)), n.ite(inChi, c1[1]!, n.ite(inP, q.value, n.or(q.value, e)))],
  };
}

/**
 * tnum operators against exhaustive enumeration: at width 4 every pair of well-formed tnums
 * (81 x 81) and every pair of members; at width 8 a sample of 120 tnums. Also optimality at
 * width 4: add, sub, and, or, xor, neg and union return the smallest tnum holding all results
 * (known results, e.g. Vishwanathan et al. 2022); mul is sound but not optimal.
 */
import { describe, it, expect } from 'vitest';
import { bigintAlgebra, bvx, tnumOps, type Tnum } from '../../src/verifier/domains/index.js';
import { rng } from './enum.js';

function allTnums(w: number): Tnum<bigint>[] {
  const out: Tnum<bigint>[] = [];
  const total = 3 ** w;
  for (let i = 0; i < total; i++) {
    let v = 0n, m = 0n, x = i;
    for (let b = 0; b < w; b++) {
      const trit = x % 3; x = Math.floor(x / 3);
      if (trit === 1) v |= 1n << BigInt(b);
      if (trit === 2) m |= 1n << BigInt(b);
    }
    out.push({ value: v, mask: m });
  }
  return out;
}
const membersOf = (t: Tnum<bigint>, w: number): bigint[] => {
  const out: bigint[] = [];
  for (let x = 0n; x < 1n << BigInt(w); x++) if ((x & ~t.mask) === t.value) out.push(x);
  return out;
};
/** The smallest tnum holding a set. */
const best = (xs: bigint[], w: number): Tnum<bigint> => {
  const all = (1n << BigInt(w)) - 1n;
  let and = all, or = 0n;
  for (const x of xs) { and &= x; or |= x; }
  return { value: and, mask: and ^ or };
};

const BIN = ['add', 'sub', 'and', 'or', 'xor', 'mul', 'union', 'intersect'] as const;
const OPTIMAL = new Set(['add', 'sub', 'and', 'or', 'xor', 'union']);

function concrete(op: (typeof BIN)[number], w: number): (x: bigint, y: bigint) => bigint[] {
  const v = bvx(w);
  switch (op) {
    case 'add': return (x, y) => [v.add(x, y)];
    case 'sub': return (x, y) => [v.sub(x, y)];
    case 'and': return (x, y) => [x & y];
    case 'or': return (x, y) => [x | y];
    case 'xor': return (x, y) => [x ^ y];
    case 'mul': return (x, y) => [v.mul(x, y)];
    case 'union': return (x, y) => [x, y];
    case 'intersect': return () => [];
  }
}

describe('tnum operators', () => {
  for (const w of [4, 8]) {
    const t = tnumOps(bigintAlgebra, bvx(w));
    const r = rng(w);
    const pool = w === 4 ? allTnums(4) : allTnums(8).filter(() => r() < 120 / 6561);
    for (const op of BIN) {
      it(`${op} is sound at width ${w}${w === 4 && OPTIMAL.has(op) ? ' and optimal' : ''}`, () => {
        const f = concrete(op, w);
        let checked = 0, notOptimal = 0, failures = 0;
        for (const a of pool) for (const b of pool) {
          const res = t[op](a, b);
          const ma = membersOf(a, w), mb = membersOf(b, w);
          const results: bigint[] = [];
          if (op === 'intersect') {
            // intersection holds every common member
            for (const x of ma) if ((x & ~b.mask) === b.value) results.push(x);
          } else for (const x of ma) for (const y of mb) results.push(...f(x, y));
          for (const z of results) { checked++; if ((z & ~res.mask) !== res.value) failures++; }
          if (w === 4 && results.length) {
            const o = best(results, w);
            if (o.value !== res.value || o.mask !== res.mask) notOptimal++;
          }
        }
        expect(failures).toBe(0);
        expect(checked).toBeGreaterThan(1000);
        if (w === 4 && OPTIMAL.has(op)) expect(notOptimal).toBe(0);
        if (w === 4 && op === 'mul') expect(notOptimal).toBeGreaterThan(0);
      });
    }
    it(`shifts, neg and range are sound at width ${w}`, () => {
      const v = bvx(w);
      let failures = 0;
      for (const a of pool) {
        const ma = membersOf(a, w);
        for (let s = 0; s < w; s++) {
          const S = BigInt(s);
          const l = t.lshift(a, S), rr = t.rshift(a, S), ar = t.arshift(a, S, 64);
          for (const x of ma) {
            if ((v.shl(x, S) & ~l.mask) !== l.value) failures++;
            if ((v.lshr(x, S) & ~rr.mask) !== rr.value) failures++;
            if ((v.ashr(x, S) & ~ar.mask) !== ar.value) failures++;
          }
        }
        const ng = t.neg(a);
        for (const x of ma) if ((v.neg(x) & ~ng.mask) !== ng.value) failures++;
      }
      for (let lo = 0n; lo < 1n << BigInt(w); lo += w === 4 ? 1n : 7n)
        for (let hi = lo; hi < 1n << BigInt(w); hi += w === 4 ? 1n : 5n) {
          const rg = t.range(lo, hi);
          for (let x = lo; x <= hi; x++) if ((x & ~rg.mask) !== rg.value) failures++;
        }
      expect(failures).toBe(0);
    });
  }
});

/**
 * The integer instantiation of the algebra (src/smt/int-algebra.ts), in which BPF_MUL's range
 * lemmas are proven at 64 bits, computes what the running bigint instantiation computes: every
 * operation those lemmas use (products and their overflow checks, comparisons, sums, width
 * changes), on edge values and random operands, evaluated by Z3 on numerals.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadZ3, type Z3Handle } from '../../src/smt/index.js';
import { intAlgebra, type ZI, type ZIB } from '../../src/smt/int-algebra.js';
import { bigintAlgebra } from '../../src/verifier/domains/index.js';

let z: Z3Handle;
beforeAll(async () => { z = await loadZ3(); });
afterAll(async () => { await z.close(); });

/** Deterministic pseudo-random w-bit values (xorshift64*), after the edge values of the width. */
function operands(w: number, count: number): bigint[] {
  const m = (1n << BigInt(w)) - 1n;
  const h = 1n << BigInt(w - 1);
  const out = [0n, 1n, 2n, 3n, m, m - 1n, h, h - 1n, h + 1n, h >> 1n, (1n << BigInt(w / 2)) - 1n, 1n << BigInt(w / 2)];
  let s = 0x9e3779b97f4a7c15n;
  while (out.length < count) {
    s ^= s >> 12n; s ^= (s << 25n) & 0xffffffffffffffffn; s ^= s >> 27n;
    const r = (s * 0x2545f4914f6cdd1dn) & 0xffffffffffffffffn;
    out.push(r & (r & 1n ? m : m >> BigInt(r % BigInt(w)))); // mixed magnitudes
  }
  return out;
}

const BIN = ['mul', 'add', 'sub'] as const;
const PRED = ['umulOv', 'smulOv', 'uaddOv', 'saddOv', 'usubOv', 'ssubOv', 'ult', 'ule', 'slt', 'sle', 'eq'] as const;

describe('integer instantiation = running bigint instantiation', () => {
  for (const w of [64, 32, 8]) {
    it(`products, overflow checks, comparisons, width changes at ${w} bits`, async () => {
      const Z = z.ctx;
      const I = intAlgebra(Z).bv(w);
      const B = bigintAlgebra.bv(w);
      // Each check is "the integer term equals the bigint result"; Z3 folds their conjunction of
      // numerals in one call, and only a failure is looked at one check at a time.
      const checks: [string, ZIB][] = [];
      const isNum = (label: string, e: ZI, v: bigint): void => { checks.push([label, e.eq(Z.Int.val(v))]); };
      const isBool = (label: string, e: ZIB, v: boolean): void => { checks.push([label, v ? e : Z.Not(e)]); };
      const xs = operands(w, 24);
      for (const a of xs) {
        for (const b of xs) {
          const [ia, ib] = [I.c(a), I.c(b)];
          for (const op of BIN) isNum(`${op}(${a}, ${b})`, I[op](ia, ib), B[op](a, b));
          for (const op of PRED) isBool(`${op}(${a}, ${b})`, I[op](ia, ib), B[op](a, b));
        }
        isNum(`neg(${a})`, I.neg(I.c(a)), B.neg(a));
        const A = intAlgebra(Z);
        isNum(`trunc(${a})`, A.trunc(I.c(a), w, w / 2), bigintAlgebra.trunc(a, w, w / 2));
        const lo = bigintAlgebra.trunc(a, w, w / 2);
        isNum(`sext(${lo})`, A.sext(A.bv(w / 2).c(lo), w / 2, w), bigintAlgebra.sext(lo, w / 2, w));
      }
      const bad: string[] = [];
      if (!Z.isTrue(await Z.simplify(Z.And(...checks.map(([, c]) => c))))) {
        for (const [label, c] of checks) if (!Z.isTrue(await Z.simplify(c))) bad.push(label);
        expect(bad.length).toBeGreaterThan(0);
      }
      expect(bad).toEqual([]);
    }, 60_000);
  }
});

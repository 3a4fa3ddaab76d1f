/**
 * The three pluggable domains (kernel product, tnum only, intervals only) at the real width, 64
 * bits, on sampled inputs: abstract values are joins of small random sets of interesting 64-bit
 * numbers; every transfer function and both sides of every branch must keep every concrete
 * result of the set members. (Width-8 exhaustive checks of the kernel domain: alu/branch/sync tests.)
 */
import { describe, it, expect } from 'vitest';
import { ALU_OPS, DOMAIN_NAMES, JMP_OPS, bigintAlgebra, getDomain, type Scalar } from '../../src/verifier/domains/index.js';
import { semantics } from '../../src/smt/semantics.js';
import { rng } from './enum.js';

const SEM = semantics(bigintAlgebra, 64);
const r = rng(42);
const SPECIAL = [0n, 1n, 2n, 7n, 0xffn, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n, (1n << 64n) - 8n];
function value(): bigint {
  const k = r();
  if (k < 0.4) return SPECIAL[Math.floor(r() * SPECIAL.length)]! + BigInt(Math.floor(r() * 3)) - 1n & ((1n << 64n) - 1n);
  if (k < 0.7) return BigInt(Math.floor(r() * 1000));
  return BigInt(Math.floor(r() * 2 ** 32)) << BigInt(Math.floor(r() * 33)) & ((1n << 64n) - 1n);
}
const SETS: bigint[][] = Array.from({ length: 40 }, () => Array.from({ length: 1 + Math.floor(r() * 4) }, value));

describe('pluggable domains are sound on sampled 64-bit inputs', () => {
  for (const name of DOMAIN_NAMES) {
    const D = getDomain(name);
    const abs = (set: bigint[]): Scalar => set.map((v) => D.known(v)).reduce((a, b) => D.join(a, b));
    const A = SETS.map(abs);
    it(`${name}: knownInt(n) is known(BigInt(n)) for immediates`, () => {
      for (const n of [-2147483648, -129, -2, -1, 0, 1, 255, 256, 65535, 2147483647, 4294967295]) {
        expect(D.equal(D.knownInt(n), D.known(BigInt(n)))).toBe(true);
        // (a domain that shares its small constants hands out the same object)
        if (n >= -1 && n < 256 && D.known(BigInt(n)) === D.known(BigInt(n))) expect(D.knownInt(n)).toBe(D.known(BigInt(n)));
      }
    });
    it(`${name}: the bounds sanity check passes every constant and names the broken invariant`, () => {
      for (const v of SPECIAL) expect(D.sanity(D.known(v))).toBeUndefined();
      const k = D.known(5n);
      expect(D.sanity({ ...k, smin: 7n })).toBe('range bounds violation');
      expect(D.sanity({ ...k, s32min: 0xfffffffen, s32max: 0x80000000n })).toBe('range bounds violation');
      expect(D.sanity({ ...k, umax: 6n, smax: 6n })).toBe('const tnum out of sync with range bounds');
      expect(D.sanity({ ...k, u32max: 6n })).toBe('const subreg tnum out of sync with range bounds');
    });
    it(`${name}: join and constants hold their members`, () => {
      SETS.forEach((s, i) => s.forEach((x) => expect(D.contains(A[i]!, x)).toBe(true)));
      expect(D.sanity(D.unknown())).toBeUndefined();
    });
    it(`${name}: ALU operations`, () => {
      const bad: string[] = [];
      for (const alu32 of [false, true]) for (const op of ALU_OPS) {
        SETS.forEach((s, i) => SETS.forEach((t, j) => {
          if ((i * 7 + j) % 3 !== 0) return;
          const res = D.alu(op, alu32, A[i]!, A[j]!);
          for (const x of s) for (const y of t) {
            const z = SEM.alu(op, alu32, x, y);
            if (!D.contains(res, z) && bad.length < 3) bad.push(`${op}${alu32 ? 32 : 64} ${x} ${y} -> ${z} not in ${D.format(res)}`);
          }
        }));
      }
      expect(bad).toEqual([]);
    });
    it(`${name}: branches`, () => {
      const bad: string[] = [];
      for (const jmp32 of [false, true]) for (const op of JMP_OPS) {
        SETS.forEach((s, i) => SETS.forEach((t, j) => {
          if ((i * 5 + j) % 4 !== 0) return;
          const d = D.branch(op, jmp32, A[i]!, A[j]!);
          const { taken, fall } = D.refine(op, jmp32, A[i]!, A[j]!);
          for (const x of s) for (const y of t) {
            const c = SEM.cond(op, jmp32, x, y);
            if ((d === 1 && !c) || (d === 0 && c)) bad.push(`${op} decided ${d} for ${x}, ${y}`);
            const [p, q] = c ? taken : fall;
            if ((!D.contains(p, x) || !D.contains(q, y)) && bad.length < 3) bad.push(`${op}${jmp32 ? 32 : ''} ${c} side lost ${x}, ${y}`);
          }
        }));
      }
      expect(bad).toEqual([]);
    });
    it(`${name}: unary operations`, () => {
      const bad: string[] = [];
      SETS.forEach((s, i) => {
        const a = A[i]!;
        const checks: [Scalar, (x: bigint) => bigint][] = [
          [D.neg(false, a), (x) => SEM.neg(false, x)], [D.neg(true, a), (x) => SEM.neg(true, x)], [D.mov32(a), (x) => SEM.mov32(x)],
          [D.movsx(a, 8, false), (x) => SEM.movsx(x, 8, false)], [D.movsx(a, 32, false), (x) => SEM.movsx(x, 32, false)],
          [D.movsx(a, 16, true), (x) => SEM.movsx(x, 16, true)], [D.truncate(a, 2), (x) => SEM.truncate(x, 16)],
          [D.sextLoad(a, 4), (x) => SEM.sextLoad(x, 32)], [D.end(a, 32, 'be'), (x) => SEM.end(x, 32, 'be')],
        ];
        for (const [res, f] of checks) for (const x of s) if (!D.contains(res, f(x)) && bad.length < 3) bad.push(`${x} -> ${f(x)} not in ${D.format(res)}`);
      });
      expect(bad).toEqual([]);
    });
  }
});

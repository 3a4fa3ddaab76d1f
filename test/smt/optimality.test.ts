/**
 * Optimality of the tnum operators (src/smt/optimality.ts): the witness statements prove at width
 * 8 here (64 in `bpflab prove` and the CI 64-bit slice), and a planted imprecise operator (xor
 * marking one extra bit unknown) is refuted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadZ3, proveAt, selectObligations, type Z3Handle } from '../../src/smt/index.js';
import type { Kernel, Tnum } from '../../src/verifier/domains/index.js';

let z: Z3Handle;
beforeAll(async () => { z = await loadZ3(); });
afterAll(async () => { await z.close(); });

describe('tnum optimality', () => {
  it('every operator at width 8', async () => {
    const bad: string[] = [];
    for (const ob of selectObligations('optimal')) {
      const r = await proveAt(z, ob, 8, 60_000);
      if (r.verdict !== 'proved') bad.push(`${ob.name}: ${r.verdict} ${JSON.stringify(r.counterexample?.abstract)} ${r.counterexample?.concrete}`);
    }
    expect(bad).toEqual([]);
  });

  it('refutes a sound but imprecise xor (bit 0 always unknown)', async () => {
    const [ob] = selectObligations('optimal.tnum.xor');
    const patch = <T, B>(k: Kernel<T, B>): void => {
      const orig = k.t.xor;
      k.t = { ...k.t, xor: (a: Tnum<T>, b: Tnum<T>) => { const r = orig(a, b); return { value: k.n.and(r.value, k.n.not(k.n.one)), mask: k.n.or(r.mask, k.n.one) }; } };
    };
    const r = await proveAt(z, ob!, 8, 60_000, patch);
    expect(r.verdict).toBe('failed');
    expect(r.counterexample?.replayed).toBe(true);
  });
});

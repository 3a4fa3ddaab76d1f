/**
 * CI slice of the proofs: every obligation at width 8 (register 8 bits, subregister 4; the
 * same generic code as at 64 bits) except the multiplications, which run at width 4 (at 8 Z3 needs
 * minutes for tnum_mul's unrolled loop and the signed corner products), plus the sync lemmas,
 * the bitwise tnum operators and the byte-swap obligations at 64 bits. The full 64-bit
 * run is `bpflab prove` (see proofs/README.md for its table and times).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allObligations, loadZ3, prove, type Z3Handle } from '../../src/smt/index.js';

let z: Z3Handle;
beforeAll(async () => { z = await loadZ3(); });
afterAll(async () => { await z.close(); });

const all = allObligations();
const groups = [...new Set(all.map((o) => o.group))];

describe('operator obligations hold at width 8', () => {
  for (const g of groups) {
    it(`${g} (${all.filter((o) => o.group === g && !(o.minWidth && o.minWidth > 8)).length} obligations)`, async () => {
      const notProved: string[] = [];
      for (const ob of all.filter((o) => o.group === g)) {
        if (ob.minWidth && ob.minWidth > 8) continue;
        const r = await prove(z, ob, { widths: [ob.name.endsWith('.mul') ? 4 : 8], timeoutMs: 30_000 });
        if (r.verdict !== 'proved') notProved.push(`${ob.name}: ${r.verdict}`);
      }
      expect(notProved).toEqual([]);
    });
  }
});

describe('lemmas at 64 bits', () => {
  it('sync steps, bitwise tnum operators, byte swaps', async () => {
    const pick = all.filter((o) => o.group === 'sync' || o.name.startsWith('end.') || ['tnum.and', 'tnum.or', 'tnum.xor', 'tnum.union'].includes(o.name));
    const notProved: string[] = [];
    for (const ob of pick) {
      const r = await prove(z, ob, { widths: [64], timeoutMs: 60_000 });
      if (r.verdict !== 'proved') notProved.push(`${ob.name}: ${r.verdict}`);
    }
    expect(notProved).toEqual([]);
  });
});

/**
 * What CI proves (the full 64-bit table is `bpflab prove`, ~10 minutes on two cores: see
 * proofs/README.md for its table and times):
 * - every operator obligation at width 8 (register 8 bits, subregister 4; the same generic code as
 *   at 64 bits), the multiplication's lemmas included;
 * - at 64 bits: the sync lemmas, the order transitivity the decide obligations assume, the tnum
 *   operators but add/sub (these need ~15 s each), the
 *   tnum_mul inductive step and its arithmetic lemma, the whole ALU multiplications (assuming their
 *   range lemmas, which `bpflab prove` proves at 64 bits) and the cheapest of those lemmas
 *   (MUL_IN_CI), the optimality of the tnum operators, every
 *   byte swap, and every JIT template (those are 64-bit by nature) but the loads/stores through
 *   pointer registers, of which two (PTR_IN_CI).
 * Through the worker pool, as `bpflab prove` runs them: a hung or crashing attempt is cut and
 * reported, never stalls the suite.
 */
import { describe, expect, it } from 'vitest';
import { allObligations, runProofs, type ProofRun } from '../../src/smt/index.js';

const all = allObligations();
/**
 * The loads/stores through pointer registers take 3-7 s of solver time each (30 of them): CI
 * proves one load and one store and the lemma they assume, jit.ptr.inside (jit-memory.test.ts
 * plants bugs into four); `bpflab prove` all.
 */
const PTR_IN_CI = new Set(['jit.stx32.ptr.checked', 'jit.ldx8.ptr.checked', 'jit.ptr.inside']);
/** At 64 bits CI proves the whole ALU multiplications (assuming the range lemmas) and the two cheapest lemmas (< 1 s of solver time each); the others (1.5-8 s each) run in `bpflab prove`. */
const MUL_IN_CI = new Set(['alu64.mul', 'alu32.mul', 'mul.u32', 'mul.wrap']);
/** Of the 96 atomic and LD_ABS/LD_IND templates (jit-atomics.test.ts plants bugs into three), CI proves these. */
const ATOMIC_LDABS_IN_CI = new Set(['jit.atomic.cmpxchg64.frame', 'jit.atomic.fetch_add32.slot', 'jit.atomic.or32.ptr.trusted', 'jit.ld_ind32']);
const inCi = (name: string): boolean => (!/^jit\.(atomic|ld_)/.test(name) || ATOMIC_LDABS_IN_CI.has(name)) && (!name.includes('.ptr.') || PTR_IN_CI.has(name));
const notProved = (run: ProofRun): string[] =>
  run.results.filter((r) => r.verdict !== 'proved' && r.verdict !== 'n/a').map((r) => `${r.name}: ${r.verdict} ${r.attempts.at(-1)?.error ?? ''}`);

describe('operator obligations hold at width 8', () => {
  it(`all ${all.filter((o) => o.group !== 'jit').length} operator obligations`, async () => {
    const at8 = await runProofs(all.filter((o) => o.group !== 'jit'), { widths: [8], timeoutMs: 60_000, jobs: 2 });
    expect(notProved(at8)).toEqual([]);
    expect(at8.na).toBe(0);
  }, 600_000); // ~30 s on two idle cores; generous for loaded machines
});

describe('at 64 bits', () => {
  it('sync steps, tnum operators, tnum_mul step, ALU multiplications, tnum optimality, byte swaps, JIT templates', async () => {
    const pick = all.filter((o) => o.group === 'sync' || o.name === 'order.trans' || (o.group === 'jit' && inCi(o.name)) || o.group === 'optimal' || o.name.startsWith('end.') || MUL_IN_CI.has(o.name) ||
      (o.group === 'tnum' && o.name !== 'tnum.add' && o.name !== 'tnum.sub'));
    const run = await runProofs(pick, { widths: [64], timeoutMs: 120_000, jobs: 2 });
    expect(notProved(run)).toEqual([]);
    expect(run.results.filter((r) => r.verdict === 'proved' && r.width !== 64 && r.width !== 0)).toEqual([]);
  }, 600_000); // ~50 s on two idle cores
});

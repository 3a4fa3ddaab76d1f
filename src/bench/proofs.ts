/**
 * Benchmark row "proofs": wall-clock seconds to prove every operator obligation at 64 bits
 * (falling back to narrower widths where an obligation exceeds its budget, as `bpflab prove`
 * does), in worker processes (one per core, at most 4), each attempt killed at its budget. No
 * anchor: the kernel has no such proofs to compare with. `quick` proves only the tnum and sync
 * lemmas.
 */
import type { BenchSuite } from './types.js';

export const proofsBench: BenchSuite = async (opts) => {
  const { allObligations, runProofs } = await import('../smt/index.js');
  const all = allObligations();
  const obs = opts.quick ? all.filter((o) => (o.group === 'tnum' && !o.name.startsWith('tnum.mul')) || o.group === 'sync') : all;
  const run = await runProofs(obs, { widths: [64, 32, 16, 8], timeoutMs: 60_000, progress: opts.progress });
  const at64 = run.results.filter((r) => r.verdict === 'proved' && r.width === 64).length;
  const narrower = run.results.filter((r) => r.verdict === 'proved' && r.width < 64).map((r) => `${r.name}@${r.width}`);
  return [{
    group: 'proofs',
    name: opts.quick ? 'tnum and sync lemmas' : 'all operator obligations',
    value: run.seconds,
    unit: 's',
    note: `${run.passed}/${obs.length} proved (${at64} at 64 bits${narrower.length ? `; narrower: ${narrower.join(', ')}` : ''}), ${run.failed} not proved; ${run.jobs} workers, budget 60 s per obligation and width`,
  }];
};

export default proofsBench;
export const suite = proofsBench;

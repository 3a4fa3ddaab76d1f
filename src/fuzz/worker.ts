/**
 * A campaign worker thread (see parallel.ts): runs its own campaign with its own seed and reports
 * progress and findings to the parent, which deduplicates across workers and broadcasts the
 * signatures found so far so that a worker does not shrink a bug another one already has.
 */
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { runCampaign } from './campaign.js';
import { loadSeedPrograms } from './generators/seeds.js';
import { campaignGeneration } from './guided/generation.js';
import type { SeedObservation } from './guided/guidance.js';
import type { WorkerData, WorkerMessage, ParentMessage } from './parallel.js';
import { buildOracles } from './setup.js';
import { makeRecheck } from './recheck.js';

async function work(): Promise<void> {
  const port = parentPort;
  if (!port) return;
  const d = workerData as WorkerData;
  const known = new Set<string>(d.known);
  const stop = new Int32Array(d.stop);
  let seedsArrived: (observed: Map<string, SeedObservation>) => void = () => {};
  const parentSeeds = new Promise<Map<string, SeedObservation>>((resolve) => { seedsArrived = resolve; });
  port.on('message', (m: ParentMessage) => {
    if (m.t === 'known') known.add(m.sig);
    else if (m.t === 'seeds') seedsArrived(new Map(m.observed));
  });
  const post = (m: WorkerMessage): void => port.postMessage(m);
  const setup = await buildOracles(d.oracles);
  const seeds = d.useSeeds ? await loadSeedPrograms() : [];
  const observed = d.parentSeeds ? await parentSeeds : undefined;
  const { arb, coverage } = await campaignGeneration({
    verify: setup.verify, seeds, guided: d.guided === true, ...(d.corpusDir !== undefined && { corpusDir: d.corpusDir }),
    ...(d.structured !== undefined && { structured: d.structured }), ...(observed && { observed }),
  });
  const { stats } = await runCampaign({
    oracles: setup.oracles, verify: setup.verify, seed: d.seed, known, arb, coverage,
    ...(d.seconds !== undefined && { seconds: d.seconds }), ...(d.runs !== undefined && { runs: d.runs }),
    shrinkSeconds: d.shrinkSeconds, ...(d.shrinkSteps !== undefined && { shrinkSteps: d.shrinkSteps }),
    ...(d.programSeconds !== undefined && { programSeconds: d.programSeconds }),
    recheck: makeRecheck(setup),
    onUnconfirmed: (finding, why) => post({ t: 'unconfirmed', finding, why }),
    onProgress: (s) => post({ t: 'progress', stats: s }),
    onFinding: (b) => post({ t: 'finding', bug: b }),
    shouldStop: () => Atomics.load(stop, 0) === 1,
  });
  const notes = setup.oracles.flatMap((o) => [...o.notes]);
  post({ t: 'done', stats, notes, reached: coverage.reached(), threadCpu: threadCpuSeconds() });
}

/** CPU seconds of this thread alone (Linux: /proc/thread-self/stat), or null where unavailable. */
function threadCpuSeconds(): number | null {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in USER_HZ ticks
  } catch {
    return null;
  }
}

work().catch((e: unknown) => {
  parentPort?.postMessage({ t: 'error', message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) } satisfies WorkerMessage);
});

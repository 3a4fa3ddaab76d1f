/**
 * Campaigns over several cores: one worker thread per core, each with its own seed; the parent
 * sums their statistics, deduplicates findings by signature and tells every worker about each
 * new signature. Without a compiled worker (running from TypeScript sources, e.g. under vitest)
 * the campaign runs in this thread instead.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type CampaignStats, type FoundBug, keepFinding, runCampaign } from './campaign.js';
import type { Finding, OracleName } from './finding.js';
import { makeRecheck } from './recheck.js';
import { loadSeedPrograms } from './generators/seeds.js';
import { campaignGeneration } from './guided/generation.js';
import { type ReachedCoverage, type SeedObservation, mergeCoverage, observeSeeds } from './guided/guidance.js';
import { buildOracles } from './setup.js';
import { prepareSyscallDeadlines } from '../kernel/index.js';
import { tuneV8ForCampaign } from './v8-tuning.js';

export interface WorkerData {
  seed: number;
  seconds?: number;
  runs?: number;
  oracles: OracleName[];
  shrinkSeconds: number;
  shrinkSteps?: number;
  programSeconds?: number;
  known: string[];
  useSeeds: boolean;
  /** Int32Array[1] over shared memory: the parent stores 1 to stop (read synchronously, even mid-shrink). */
  stop: SharedArrayBuffer;
  structured?: number;
  guided?: boolean;
  corpusDir?: string;
  /** The parent verifies the seed programs once and sends their observations (a `seeds` message) before the worker builds its corpus. */
  parentSeeds?: boolean;
}

export type WorkerMessage =
  | { t: 'progress'; stats: CampaignStats }
  | { t: 'finding'; bug: FoundBug }
  | { t: 'unconfirmed'; finding: Finding; why: string }
  | { t: 'done'; stats: CampaignStats; notes: string[]; reached: ReachedCoverage; threadCpu: number | null }
  | { t: 'error'; message: string };

export type ParentMessage = { t: 'known'; sig: string } | { t: 'seeds'; observed: [string, SeedObservation][] };

export interface ParallelOptions {
  workers: number;
  seed: number;
  seconds?: number;
  runs?: number;
  oracles: readonly OracleName[];
  shrinkSeconds?: number;
  /** Mutate corpus/ and examples/ programs too (default true). */
  useSeeds?: boolean;
  structured?: number;
  /** Coverage-guided generation (guided/): mutants of a corpus of programs that reached new verifier coverage. */
  guided?: boolean;
  /** Guided: corpus programs are read from and written to this directory too. */
  corpusDir?: string;
  onProgress?: (s: CampaignStats) => void;
  onFinding?: (b: FoundBug) => void;
  /** Told right away about each oracle that cannot run here. */
  onSkipped?: (name: OracleName, reason: string) => void;
  /** Told about each finding the re-check dropped (see recheck.ts). */
  onUnconfirmed?: (f: Finding, why: string) => void;
  /** Polled about every 100 ms: true ends the campaign early (e.g. on SIGINT), with its statistics so far. */
  shouldStop?: () => boolean;
  /** Shrink-step budget per finding (default 2,000). */
  shrinkSteps?: number;
  /** Time budget for one program with all the oracles (see budget.ts). */
  programSeconds?: number;
  /** Worker threads even for one worker (a fresh V8 isolate each, as a new process would have; benchmarks). */
  threads?: boolean;
}

export interface ParallelResult {
  stats: CampaignStats;
  found: FoundBug[];
  /** Oracle notes and skipped oracles, worth printing once. */
  notes: string[];
  /** Workers actually used (1 when worker threads were unavailable). */
  workers: number;
  /** CPU seconds of the worker threads themselves (without V8's helper threads), where known. */
  workerThreadCpu?: number;
}

const add = (a: CampaignStats, b: CampaignStats): CampaignStats => ({
  runs: a.runs + b.runs, accepted: a.accepted + b.accepted, findings: a.findings + b.findings, duplicates: a.duplicates + b.duplicates,
  seconds: Math.max(a.seconds, b.seconds), shrinkSeconds: a.shrinkSeconds + b.shrinkSeconds, unconfirmed: a.unconfirmed + b.unconfirmed,
  ...((a.overBudget ?? b.overBudget) !== undefined && { overBudget: (a.overBudget ?? 0) + (b.overBudget ?? 0) }),
  ...((a.shrinking ?? b.shrinking) && { shrinking: (a.shrinking ?? b.shrinking)! }),
  // While workers run, the best worker's coverage (their union is known only at the end).
  ...((a.coverage ?? b.coverage) && { coverage: [a.coverage, b.coverage].filter((x) => x !== undefined).reduce((x, y) => (x.features >= y.features ? x : y)) }),
});
const ZERO: CampaignStats = { runs: 0, accepted: 0, findings: 0, duplicates: 0, seconds: 0, shrinkSeconds: 0, unconfirmed: 0 };

/** Runs the campaign in this thread (workers <= 1 or no compiled worker). */
async function inThread(o: ParallelOptions, notes: string[]): Promise<ParallelResult> {
  const setup = await buildOracles(o.oracles);
  for (const s of setup.skipped) { notes.push(`${s.name}: skipped (${s.reason})`); o.onSkipped?.(s.name, s.reason); }
  const seeds = o.useSeeds === false ? [] : await loadSeedPrograms();
  const { arb, coverage } = await campaignGeneration({
    verify: setup.verify, seeds, guided: o.guided === true, ...(o.corpusDir !== undefined && { corpusDir: o.corpusDir }),
    ...(o.structured !== undefined && { structured: o.structured }),
  });
  const { stats, found } = await runCampaign({
    oracles: setup.oracles, verify: setup.verify, seed: o.seed, shrinkSeconds: o.shrinkSeconds ?? 30, arb, coverage,
    recheck: makeRecheck(setup),
    ...(o.seconds !== undefined && { seconds: o.seconds }), ...(o.runs !== undefined && { runs: o.runs }),
    ...(o.shrinkSteps !== undefined && { shrinkSteps: o.shrinkSteps }), ...(o.programSeconds !== undefined && { programSeconds: o.programSeconds }),
    ...(o.onProgress && { onProgress: o.onProgress }), ...(o.onFinding && { onFinding: o.onFinding }),
    ...(o.onUnconfirmed && { onUnconfirmed: o.onUnconfirmed }), ...(o.shouldStop && { shouldStop: o.shouldStop }),
  });
  for (const or of setup.oracles) notes.push(...or.notes);
  return { stats, found, notes, workers: 1 };
}

export async function runParallel(o: ParallelOptions): Promise<ParallelResult> {
  // Smaller TurboFan recompilations while the campaign warms up (see v8-tuning.ts): their CPU is what a second worker competes with.
  const untune = tuneV8ForCampaign();
  try {
    return await campaigns(o);
  } finally {
    untune();
  }
}

async function campaigns(o: ParallelOptions): Promise<ParallelResult> {
  const notes: string[] = [];
  const url = new URL('./worker.js', import.meta.url);
  if (o.workers <= 1 && o.threads !== true) return inThread(o, notes);
  if (!existsSync(fileURLToPath(url))) {
    notes.push('workers: no compiled worker (running from sources); ran in one thread');
    return inThread(o, notes);
  }
  const known = new Set<string>();
  const found: FoundBug[] = [];
  const latest: CampaignStats[] = [];
  const reached: ReachedCoverage[] = [];
  const threadCpu: (number | null)[] = [];
  const workers: Worker[] = [];
  const stop = new SharedArrayBuffer(4);
  // (the workers' kernel loads are interrupted at the program budget by SIGALRM: its handler is installed from here)
  prepareSyscallDeadlines();
  const perWorkerRuns = o.runs !== undefined ? Math.ceil(o.runs / o.workers) : undefined;
  // A guided corpus starts from the seed programs, each verified with the feature collector: done
  // here once rather than in every worker (half a second of CPU each), while they start.
  const parentSeeds = o.guided === true && o.useSeeds !== false;
  const report = (): void => { o.onProgress?.(latest.reduce(add, ZERO)); };
  const done = Array.from({ length: o.workers }, (_, i) => new Promise<void>((resolve, reject) => {
    const data: WorkerData = {
      seed: (o.seed + i * 1_000_003) | 0, oracles: [...o.oracles], shrinkSeconds: o.shrinkSeconds ?? 30,
      ...(o.shrinkSteps !== undefined && { shrinkSteps: o.shrinkSteps }), ...(o.programSeconds !== undefined && { programSeconds: o.programSeconds }),
      known: [...known], useSeeds: o.useSeeds !== false, stop,
      ...(o.seconds !== undefined && { seconds: o.seconds }), ...(perWorkerRuns !== undefined && { runs: perWorkerRuns }),
      ...(o.structured !== undefined && { structured: o.structured }),
      ...(o.guided && { guided: true }), ...(o.corpusDir !== undefined && { corpusDir: o.corpusDir }), ...(parentSeeds && { parentSeeds }),
    };
    latest[i] = ZERO;
    const w = new Worker(url, { workerData: data });
    workers.push(w);
    w.on('message', (m: WorkerMessage) => {
      if (m.t === 'progress') { latest[i] = m.stats; report(); }
      else if (m.t === 'finding') {
        const kept = keepFinding(found, m.bug);
        if (kept === 'duplicate') return;
        if (kept === 'new') {
          known.add(m.bug.signature);
          for (const x of workers) x.postMessage({ t: 'known', sig: m.bug.signature } satisfies ParentMessage);
        }
        o.onFinding?.(m.bug);
      } else if (m.t === 'unconfirmed') {
        o.onUnconfirmed?.(m.finding, m.why);
      } else if (m.t === 'done') {
        latest[i] = m.stats;
        reached[i] = m.reached;
        threadCpu[i] = m.threadCpu;
        for (const n of m.notes) if (!notes.includes(n)) notes.push(n);
        resolve();
      } else reject(new Error(`fuzz worker ${i}: ${m.message}`));
    });
    w.on('error', reject);
    w.on('exit', (code) => { if (code !== 0) reject(new Error(`fuzz worker ${i} exited with code ${code}`)); else resolve(); });
  }));
  const all = Promise.all(done);
  all.catch(() => {}); // (awaited below: a worker failing meanwhile is not an unhandled rejection)
  // Skipped oracles are the same in every worker (each skips them too): report them once from here,
  // once the workers are starting (their start-up, a second or so, runs meanwhile).
  const setup = await buildOracles(o.oracles);
  for (const s of setup.skipped) { notes.push(`${s.name}: skipped (${s.reason})`); o.onSkipped?.(s.name, s.reason); }
  const poll = setInterval(() => {
    if (o.shouldStop?.()) { Atomics.store(new Int32Array(stop), 0, 1); clearInterval(poll); }
  }, 100);
  try {
    if (parentSeeds) {
      const seeds = [...await loadSeedPrograms(), ...(o.corpusDir !== undefined ? await loadSeedPrograms([o.corpusDir]) : [])];
      const observed = [...observeSeeds(setup.verify, seeds)];
      for (const w of workers) w.postMessage({ t: 'seeds', observed } satisfies ParentMessage);
    }
    await all;
  } finally {
    clearInterval(poll);
    for (const w of workers) void w.terminate();
  }
  const stats = latest.reduce(add, ZERO);
  stats.findings = found.length;
  if (reached.length > 0) { const { reached: _, ...c } = mergeCoverage(reached); stats.coverage = c; }
  const timed = threadCpu.filter((x): x is number => typeof x === 'number');
  return { stats, found, notes, workers: o.workers, ...(timed.length === o.workers && { workerThreadCpu: timed.reduce((a, b) => a + b, 0) }) };
}

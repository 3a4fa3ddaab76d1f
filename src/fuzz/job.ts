/**
 * Campaigns as seed-range jobs: a job runs `batches` fast-check runs of `batch` cases each, with
 * the consecutive seeds from `seed` on, and knows no signatures found elsewhere -- so its result
 * is a function of its spec alone, whichever process or machine runs it, and however often it is
 * retried. A campaign is a list of jobs; merging their results in job order (statistics summed,
 * each signature kept from the first job that found it) gives the same findings and program
 * count whether the jobs ran in one process or on a queue across machines (queue.ts).
 */
import { deserialize, serialize } from 'node:v8';
import { verify } from '../verifier/index.js';
import { type CampaignStats, type FoundBug, keepFinding, runCampaign } from './campaign.js';
import { ORACLE_NAMES, type OracleName } from './finding.js';
import { loadSeedPrograms } from './generators/seeds.js';
import { campaignGeneration } from './guided/generation.js';
import { type ReachedCoverage, mergeCoverage } from './guided/guidance.js';
import { makeProgram, type Program } from '../isa/program.js';
import { assemble } from '../isa/asm/index.js';
import { makeRecheck } from './recheck.js';
import { buildOracles, setFuzzOverrides } from './setup.js';

export interface JobSpec {
  /** Position in the campaign (results merge in this order). */
  index: number;
  /** First seed; the job uses seed .. seed + batches - 1. */
  seed: number;
  batches: number;
  /** Cases per batch (one fast-check run). */
  batch: number;
  oracles: OracleName[];
  useSeeds: boolean;
  /** Coverage-guided generation; each job builds its own corpus from its seeds (so its result depends on its spec alone). */
  guided?: boolean;
  structured?: number;
  /** Share of seed-based programs among the unstructured ones (CaseOptions.seedShare). */
  seedShare?: number;
  /** More seed programs for mutation, as assembly (e.g. programs near a suspected bug). */
  seedAsm?: string[];
  /** Fragments per structured program (default: the generator's). */
  maxFragments?: number;
  shrinkSteps: number;
  minimiseSteps: number;
  /** Time bound per finding's shrinking (only a safety net: time cuts are not reproducible). */
  shrinkSeconds: number;
  /** TEST ONLY: run the verifier with this planted bug (VerifyOptions.plantedBug). */
  plantedBug?: 'jgt-fall-as-jlt';
}

export interface JobResult {
  index: number;
  stats: CampaignStats;
  found: FoundBug[];
  notes: string[];
  /** Verifier coverage the job reached (merged as a union). */
  reached?: ReachedCoverage;
}

/** The jobs of a campaign of `jobs` jobs from `seed` on, `seedsPerJob` batches each. */
export function campaignJobs(o: Omit<JobSpec, 'index' | 'seed' | 'batches'> & { seed: number; jobs: number; seedsPerJob: number }): JobSpec[] {
  const { jobs, seedsPerJob, seed, ...rest } = o;
  return Array.from({ length: jobs }, (_, index) => ({ ...rest, index, seed: (seed + index * seedsPerJob) | 0, batches: seedsPerJob }));
}

let seedPrograms: Promise<Program[]> | null = null;

/** Runs one job in this thread. */
export async function runJob(spec: JobSpec, onProgress?: (s: CampaignStats) => void): Promise<JobResult> {
  const undo = spec.plantedBug ? setFuzzOverrides({ verify: (p, o) => verify(p, { ...o, plantedBug: spec.plantedBug! }) }) : () => {};
  try {
    const setup = await buildOracles(spec.oracles.filter((n) => (ORACLE_NAMES as readonly string[]).includes(n)));
    const seeds = [...(spec.useSeeds ? await (seedPrograms ??= loadSeedPrograms()) : []), ...(spec.seedAsm ?? []).map((text, i) => {
      const a = assemble(text);
      return makeProgram({ name: `seed${i}`, section: '', type: a.type ?? 'socket_filter', insns: a.insns, maps: a.maps, license: a.license ?? 'GPL' });
    })];
    const { arb, coverage } = await campaignGeneration({
      verify: setup.verify, seeds, guided: spec.guided === true,
      ...(spec.structured !== undefined && { structured: spec.structured }), ...(spec.maxFragments !== undefined && { maxFragments: spec.maxFragments }),
      ...(spec.seedShare !== undefined && { seedShare: spec.seedShare }),
    });
    const { stats, found } = await runCampaign({
      oracles: setup.oracles, verify: setup.verify, seed: spec.seed, batches: spec.batches, batch: spec.batch, arb, coverage,
      shrinkSteps: spec.shrinkSteps, minimiseSteps: spec.minimiseSteps, shrinkSeconds: spec.shrinkSeconds,
      recheck: makeRecheck(setup),
      ...(onProgress && { onProgress }),
    });
    const notes = [...setup.skipped.map((s) => `${s.name}: skipped (${s.reason})`), ...setup.oracles.flatMap((x) => [...x.notes])];
    return { index: spec.index, stats, found, notes, reached: coverage.reached() };
  } finally {
    undo();
  }
}

/** Job results merged in job order: statistics summed, each signature from the first job that found it (of a slow kind, the slowest case). */
export function mergeJobs(results: readonly JobResult[]): { stats: CampaignStats; found: FoundBug[]; notes: string[] } {
  const sorted = [...results].sort((a, b) => a.index - b.index);
  const stats: CampaignStats = { runs: 0, accepted: 0, findings: 0, duplicates: 0, seconds: 0, shrinkSeconds: 0, unconfirmed: 0 };
  const found: FoundBug[] = [];
  const notes: string[] = [];
  for (const r of sorted) {
    stats.runs += r.stats.runs;
    stats.accepted += r.stats.accepted;
    stats.duplicates += r.stats.duplicates;
    stats.unconfirmed += r.stats.unconfirmed;
    stats.shrinkSeconds += r.stats.shrinkSeconds;
    stats.seconds = Math.max(stats.seconds, r.stats.seconds);
    for (const b of r.found) if (keepFinding(found, b) !== 'new') stats.duplicates++;
    for (const n of r.notes) if (!notes.includes(n)) notes.push(n);
  }
  stats.findings = found.length;
  const reached = sorted.flatMap((r) => (r.reached ? [r.reached] : []));
  if (reached.length > 0) { const { reached: _, ...c } = mergeCoverage(reached); stats.coverage = c; }
  return { stats, found, notes };
}

/** A job result as text for a queue (v8 serialisation: programs, bytes and bigints survive), and back. */
export function encodeResult(r: JobResult): string {
  return serialize(r).toString('base64');
}

export function decodeResult(text: string): JobResult {
  return deserialize(Buffer.from(text, 'base64')) as JobResult;
}

/**
 * Runs a set of obligations with progress reporting and renders the proof table
 * (operator, width, result, seconds) that `bpflab prove` prints and proofs/README.md carries.
 */
import { availableParallelism } from 'node:os';
import type { Obligation } from './obligations.js';
import { ProverPool, type PoolOptions } from './pool.js';
import { resultOf, widthsFor, type Attempt, type ProofResult } from './prover.js';

export interface ProofRun {
  results: ProofResult[];
  passed: number;
  /** Not proved: failed, timed out or errored (n/a is not counted). */
  failed: number;
  /** Obligations that do not apply at any requested width. */
  na: number;
  /** Wall-clock seconds for the whole run. */
  seconds: number;
  jobs: number;
}

export interface RunOptions {
  widths: readonly number[];
  /** Budget per attempt (obligation and width); the worker is killed when it runs out. */
  timeoutMs: number;
  /** Worker processes (default: the available cores, at most 4). */
  jobs?: number;
  /** URL of a module whose `obligations()` supplies the obligations by name (default: the built-in table). */
  module?: string;
  pool?: PoolOptions;
  progress?: (line: string) => void;
}

export const defaultJobs = (): number => Math.max(1, Math.min(4, availableParallelism()));

const clock = (s: number): string => (s >= 60 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${s.toFixed(0)}s`);

/**
 * Proves every obligation in worker processes (pool.ts), trying the widths in order until one
 * decides (proved or failed). An obligation whose minimum width is above every requested width is
 * `n/a`. Progress: one line per finished obligation with the elapsed time and an ETA.
 */
export async function runProofs(obs: readonly Obligation[], opts: RunOptions): Promise<ProofRun> {
  const jobs = Math.max(1, Math.min(opts.jobs ?? defaultJobs(), obs.length || 1));
  const pool = new ProverPool(jobs, opts.pool);
  const t0 = performance.now();
  let done = 0;
  try {
    const results = await pool.map(obs, async (ob, attempt) => {
      const attempts: Attempt[] = [];
      for (const w of widthsFor(ob, opts.widths)) {
        const at = await attempt({ name: ob.name, width: w, timeoutMs: opts.timeoutMs * (ob.budgetScale ?? 1), ...(opts.module ? { module: opts.module } : {}) });
        attempts.push(at);
        if (at.verdict === 'proved' || at.verdict === 'failed') break;
      }
      const r = resultOf(ob, attempts);
      done++;
      const el = (performance.now() - t0) / 1000;
      const eta = (el / done) * (obs.length - done);
      const tried = r.attempts.map((a) => `${a.width}:${a.verdict}`).join(' ');
      opts.progress?.(`[${done}/${obs.length}] ${ob.name}: ${r.verdict}${r.verdict === 'n/a' ? '' : ` at ${r.width} bits in ${r.seconds.toFixed(2)} s (${tried})`}` +
        `${r.verdict === 'error' || r.verdict === 'timeout' ? ` ${r.attempts[r.attempts.length - 1]?.error ?? ''}` : ''} | elapsed ${clock(el)}, ETA ${clock(eta)}`);
      return r;
    });
    const passed = results.filter((r) => r.verdict === 'proved').length;
    const na = results.filter((r) => r.verdict === 'n/a').length;
    return { results, passed, failed: results.length - passed - na, na, seconds: (performance.now() - t0) / 1000, jobs };
  } finally {
    pool.close();
  }
}

/** The proof table as aligned text (or Markdown). */
export function formatTable(results: readonly ProofResult[], markdown = false): string {
  const rows = results.map((r) => {
    const fellBack = r.attempts.filter((a) => a.width > r.width).map((a) => `${a.width}: ${a.verdict}`);
    const result = r.verdict + (fellBack.length ? ` (${fellBack.join(', ')})` : '') + (r.assumes && r.verdict === 'proved' ? ` assuming ${r.assumes}` : '');
    if (r.verdict === 'n/a') return [r.name, '-', 'n/a (below the minimum width)', '-', '-'];
    return [r.name, r.width === 0 ? 'ℤ' : String(r.width), result, r.seconds.toFixed(2), r.cpu === undefined ? '-' : r.cpu.toFixed(2)];
  });
  const head = ['operator', 'width', 'result', 'seconds', 'cpu s'];
  if (markdown) {
    return [`| ${head.join(' | ')} |`, '|---|---|---|---|---|', ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n') + '\n';
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}

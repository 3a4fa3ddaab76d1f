/**
 * The prover's worker pool cannot be hung or crashed by an obligation: a planted obligation that
 * never returns is cut at its budget and reported as `timeout`, a trap and an abort are reported
 * as `error` with their message, an obligation below its minimum width is `n/a`, and the pool
 * goes on proving the rest. Runs the compiled worker (dist/, built by `npm ci`).
 */
import { describe, expect, it } from 'vitest';
import { runProofs } from '../../src/smt/index.js';
import type { Obligation } from '../../src/smt/index.js';
// @ts-expect-error plain JavaScript fixture (the workers import it without TypeScript)
import { obligations } from './fixtures/planted.mjs';

const planted = (obligations as () => Obligation[])();
const module = new URL('./fixtures/planted.mjs', import.meta.url).href;

describe('prover worker pool', () => {
  it('cuts a hung obligation, reports crashes, marks n/a, and keeps going', async () => {
    const lines: string[] = [];
    const t0 = performance.now();
    // The hung, trapping and aborting ones with a short budget; the provable one with room for a
    // loaded machine (a fresh worker's first query can take seconds there).
    const quick = await runProofs(planted.filter((o) => o.name !== 'planted.trivial'), { widths: [8], timeoutMs: 3_000, jobs: 2, module, pool: { graceMs: 500 }, progress: (l) => lines.push(l) });
    const seconds = (performance.now() - t0) / 1000;
    const slow = await runProofs(planted.filter((o) => o.name === 'planted.trivial'), { widths: [8], timeoutMs: 60_000, jobs: 1, module, progress: (l) => lines.push(l) });
    const run = { results: [...quick.results, ...slow.results], passed: quick.passed + slow.passed, failed: quick.failed + slow.failed, na: quick.na + slow.na };
    const by = Object.fromEntries(run.results.map((r) => [r.name, r]));
    expect(by['planted.spin']!.verdict).toBe('timeout');
    expect(by['planted.spin']!.attempts[0]!.error).toMatch(/killed after/);
    expect(by['planted.trap']!.verdict).toBe('error');
    expect(by['planted.trap']!.attempts[0]!.error).toMatch(/memory access out of bounds/);
    expect(by['planted.abort']!.verdict).toBe('error');
    expect(by['planted.abort']!.attempts[0]!.error).toMatch(/worker ended \(signal SIGABRT\)/);
    expect(by['planted.trivial']!.verdict).toBe('proved');
    expect(by['planted.wide']!.verdict).toBe('n/a');
    expect([run.passed, run.failed, run.na]).toEqual([1, 3, 1]);
    expect(lines).toHaveLength(planted.length);
    expect(lines.every((l) => /ETA/.test(l))).toBe(true);
    // The hung obligation costs its budget plus the grace period (and the workers' start), not more.
    expect(seconds).toBeLessThan(60);
  }, 300_000);
});

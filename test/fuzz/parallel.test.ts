/**
 * Campaigns over worker threads (the compiled dist/fuzz/worker.js: run `npm run build` first;
 * skipped with the reason otherwise): with `runs` the result is a function of the seed and the
 * worker count -- the workers start while the coordinator sets up, each parses the kernel BTF
 * lazily, and the merged statistics and coverage are the same on every run.
 */
import { existsSync } from 'node:fs';
import { describe, expect, test } from 'vitest';

const compiled = new URL('../../dist/fuzz/parallel.js', import.meta.url);
const worker = new URL('../../dist/fuzz/worker.js', import.meta.url);
const have = existsSync(compiled) && existsSync(worker);
if (!have) console.log('parallel: skipped: no dist/fuzz/worker.js (run `npm run build`)');

describe.skipIf(!have)('fuzz campaigns on 2 worker threads', () => {
  test('the same seed and worker count give the same programs, verdicts and coverage', async () => {
    const { runParallel } = (await import(compiled.href)) as typeof import('../../src/fuzz/parallel.js');
    const run = () => runParallel({ workers: 2, seed: 5, runs: 60, oracles: ['sanitize'], guided: true, useSeeds: true });
    const [a, b] = [await run(), await run()];
    expect(a.workers).toBe(2);
    expect(a.stats.runs).toBe(60);
    expect(b.stats.runs).toBe(a.stats.runs);
    expect(b.stats.accepted).toBe(a.stats.accepted);
    expect(a.stats.coverage!.features).toBeGreaterThan(0);
    expect(b.stats.coverage).toEqual(a.stats.coverage);
    expect(b.found.map((f) => f.signature)).toEqual(a.found.map((f) => f.signature));
  }, 120_000);
});

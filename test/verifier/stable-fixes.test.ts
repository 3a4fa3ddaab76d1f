/**
 * Verifier fixes that the 6.18.y stable releases carry on top of Linux 6.18.0 and that the running
 * 6.18.44 has (each probed with these programs): processed counts and verdicts are compared with
 * the running kernel's when it is there.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadFile } from '../../src/loader/index.js';
import { expectProcessedLikeKernel as processed, kernelCompared } from './expect-verdicts.js';

kernelCompared('6.18.y stable verifier fixes');

const fixture = async (name: string) => {
  const path = new URL(`../fixtures/stable-fixes/${name}.s`, import.meta.url);
  const [p] = await loadFile(`${name}.s`, new Uint8Array(readFileSync(path)));
  return p!;
};

describe('backtrack_insn: an atomic fetch is a load (179ee84a8911)', () => {
  // Precision of the fetched register goes to the stack slot and what was spilled there; the
  // unrelated r6 stays imprecise, so the second path is pruned (it was 31 insns with every scalar
  // forced precise).
  it('atomic64_fetch_add into src', async () => {
    expect(processed(await fixture('atomic-fetch-prune'))).toBe(23);
  });
  it('atomic64_cmpxchg into r0', async () => {
    expect(processed(await fixture('cmpxchg-prune'))).toBe(25);
  });
});

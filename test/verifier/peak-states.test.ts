/**
 * peak_states as Linux 6.18 counts it (update_peak_states): explored_states_size + free_list_size
 * + num_backedges. A checkpoint evicted while a path below it is still open stays on the kernel's
 * free_list, counted, until that path ends (maybe_free_verifier_state); and free_states() between
 * the main program's pass and a global function's frees the states without lowering the counts.
 * Found on real networking programs (/tmp/h14): gamemann/XDP-Firewall (peak 1,161 vs the kernel's
 * 1,217) and NLnetLabs/XDPeriments' DNS-cookie programs (27 vs 32, 130 vs 144), with equal
 * processed and total states.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { closeFd, progLoad } from '../../src/kernel/index.js';
import { kernelStats } from '../../src/kernel/verdict.js';
import { loadFile } from '../../src/loader/index.js';
import { verify } from '../../src/verifier/index.js';
import { kernelCompared } from './expect-verdicts.js';

const withKernel = kernelCompared('peak_states');

const program = async (path: string) => (await loadFile(path, new Uint8Array(readFileSync(path))))[0]!;

/** bpflab's statistics, checked against the kernel's log line when the kernel is there. */
async function stats(path: string): Promise<{ processed: number; states: number; peak: number }> {
  const p = await program(path);
  const r = verify(p);
  expect(r.verdict, `${p.name}: ${r.error?.message}`).toBe('accept');
  const mine = { processed: r.processed, states: r.states, peak: r.peakStates };
  if (withKernel) {
    const kr = progLoad(p, { logLevel: 0 });
    if (kr.fd !== null) closeFd(kr.fd);
    expect(kr.verdict, `${p.name}: kernel ${kr.log.slice(-300)}`).toBe('accept');
    const k = kernelStats(kr.log);
    expect(mine).toEqual({ processed: k.processed, states: k.totalStates, peak: k.peakStates });
  }
  return mine;
}

describe('peak_states', () => {
  it('counts evicted checkpoints whose paths are still open (the free list)', async () => {
    // Five loop-head checkpoints live at once, and five evicted ones still open below the current path.
    expect(await stats('test/fixtures/prune/peak_free_list.o')).toEqual({ processed: 2094, states: 10, peak: 10 });
  });

  it('counts the converged loop paths kept as SCC backedges until the visit ends', async () => {
    // An iterator loop and a bpf_loop callback: bpflab counted 27 before, without the backedges and the free list.
    expect(await stats('test/fixtures/prune/peak_iter.o')).toEqual({ processed: 2950, states: 126, peak: 36 });
  });

  it("keeps the main program's states counted while a global function is verified", async () => {
    // 8 checkpoints in the main program's pass, 13 in gf's: the peak is their sum.
    expect(await stats('test/fixtures/prune/peak_global.o')).toEqual({ processed: 193, states: 21, peak: 21 });
  });
});

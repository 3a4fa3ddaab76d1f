/**
 * BPF_F_TEST_STATE_FREQ (env->test_state_freq): every prune point keeps a checkpoint, not only
 * those reached after 2 jumps and 8 instructions. Selftests set it on many programs; their
 * processed counts and "N: safe" lines depend on it. Checkpoint and processed counts are
 * compared with the running kernel (loaded with the flag) when it is there.
 */
import { describe, expect, it } from 'vitest';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { verify } from '../../src/verifier/index.js';
import { prog } from '../runtime/util.js';

const k = kernelAvailable();
if (!k.ok) console.log(`test_state_freq: no kernel comparison (${k.reason})`);
const BPF_F_TEST_STATE_FREQ = 1 << 3;

// Both branches join at `join`: without the flag no checkpoint is kept there (one jump so far).
const p = { ...prog(`call bpf_get_prandom_u32
if r0 > 5 goto join
r0 = 1
join:
r0 = 0
exit`), name: 'join' };

describe('BPF_F_TEST_STATE_FREQ', () => {
  it('keeps a checkpoint at every prune point', () => {
    const off = verify(p);
    const on = verify(p, { testStateFreq: true, log: true, logLevel: 2 });
    expect(off.states).toBe(0);
    expect(on.states).toBeGreaterThan(0);
    expect(on.log).toMatch(/\d+: safe/);
    if (!k.ok) return;
    for (const [r, flags] of [[off, 0], [on, BPF_F_TEST_STATE_FREQ]] as const) {
      const kr = progLoad(p, { logLevel: 2, progFlags: flags });
      if (kr.fd !== null) closeFd(kr.fd);
      expect([r.processed, r.states]).toEqual([kr.processed, kr.states]);
    }
  });
});

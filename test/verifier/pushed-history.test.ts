/**
 * A state pushed at a conditional jump shares the path's jump history up to and including the
 * jump's own entry (a jump point's, or the linked set the kernel records before push_stack), so
 * the entry counts towards the pushed state's jmp_history_cnt, and force_new_state (more than 40
 * entries) adds checkpoints on the loop side at the kernel's pace. Found comparing total_states on
 * a loop whose states never converge (the kernel-oracle slow finding of seed 20261207): bpflab
 * fell one checkpoint behind every few hundred iterations.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import type { Program } from '../../src/isa/program.js';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { kernelStats } from '../../src/kernel/verdict.js';
import { verify } from '../../src/verifier/index.js';
import { kernelCompared } from './expect-verdicts.js';

const compared = kernelCompared('pushed jump history');

// Each round: a fresh id for r9 (so no two loop-head states are alike), spills and a fill of r0
// (stack-access history entries) and "if r0 s> 0" on a scalar linked to fp-8 (a linked-set entry).
const loop = (rounds: number): Program => ({
  name: `loop_${rounds}`, section: '', type: 'socket_filter', license: 'GPL', maps: [],
  insns: assemble(`r6 = 0
l1:
call bpf_ktime_get_ns
r9 = r0
r9 &= 255
r0 = r9
r0 &= 7
r0 += 1
*(u64 *)(r10 -8) = r0
r0 = *(u64 *)(r10 -8)
r0 += -1
*(u64 *)(r10 -8) = r0
r6 += 1
if r6 > ${rounds} goto l2
if r0 s> 0 goto l1
l2:
r0 = r9
exit`).insns,
});

// total_states of Linux 6.18 on these programs (and processed instructions), as the running kernel reported them.
const KERNEL: Record<number, [number, number]> = { 110: [1557, 21], 130: [1837, 24], 1000: [14017, 158] };

describe('jump history of pushed states', () => {
  for (const [rounds, [insns, states]] of Object.entries(KERNEL)) {
    it(`a ${rounds}-round loop keeps the kernel's ${states} checkpoints`, () => {
      const p = loop(Number(rounds));
      const r = verify(p);
      expect(r.verdict).toBe('accept');
      expect([r.processed, r.states]).toEqual([insns, states]);
      if (compared && kernelAvailable().ok) {
        const k = progLoad(p, { logLevel: 0 });
        if (k.fd !== null) closeFd(k.fd);
        const ks = kernelStats(k.log);
        expect([ks.processed, ks.totalStates]).toEqual([r.processed, r.states]);
      }
    });
  }
});

/**
 * stacksafe and allocated_stack: where the old state holds something (here an imprecise spilled
 * scalar, live at the join) in a slot the current path never reached, its stack is smaller and
 * the kernel does not compare the bytes: the current path goes on, even though never-written
 * bytes read as an unknown scalar for root. Processed instruction counts are compared with the
 * running kernel's when it is there.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import type { Program } from '../../src/isa/program.js';
import { expectProcessedLikeKernel as processed, kernelCompared, PRUNE_PAD } from './expect-verdicts.js';

kernelCompared('allocated stack pruning');

// The fall-through path spills r0 to fp-16 and reaches the join (a goto target) after enough
// instructions to keep a state; the branch goes straight there with a stack never written. Both
// read fp-16 after the join.
const join = (name: string): Program => ({
  name, section: '', type: 'socket_filter', license: 'GPL', maps: [],
  insns: assemble(`call bpf_get_prandom_u32
${PRUNE_PAD}
if r0 == 1 goto +10
*(u64 *)(r10 -16) = r0
${'r8 += 1\n'.repeat(8)}goto +0
r1 = *(u64 *)(r10 -16)
r0 = 0
exit`).insns,
});

describe('allocated stack pruning', () => {
  it('a slot the current path never reached is not covered by the old spill there', () => {
    // Pruned at the join, the branch would end after 28 instructions.
    expect(processed(join('spill_beyond_cur_stack'))).toBe(30);
  });
});

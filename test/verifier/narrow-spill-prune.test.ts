/**
 * stacksafe: an old state's spilled scalar covers a current slot of data bytes only when the
 * spill is 64-bit and the bytes are all MISC (scalar_reg_for_stack); otherwise bytes are compared one by one, and a
 * spilled byte is not a data byte, so the current path goes on (samples/bpf test_map_in_map.bpf.o).
 * Processed instruction counts are compared with the running kernel's when it is there.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import type { Program } from '../../src/isa/program.js';
import { expectProcessedLikeKernel as processed, kernelCompared, PRUNE_PAD } from './expect-verdicts.js';

kernelCompared('narrow spill pruning');

// The fall-through path (explored first) leaves a `width`-byte spill of r6 at fp-8; the branch
// leaves nonzero data there (a 4-byte spill of 1 overwritten in part). Both read the slot after the join.
const spillThenData = (name: string, width: 'u32' | 'u64'): Program => ({
  name, section: '', type: 'socket_filter', license: 'GPL', maps: [],
  insns: assemble(`call bpf_get_prandom_u32
${PRUNE_PAD}
r6 = r0
if r0 == 1 goto +3
*(u32 *)(r10 -4) = r6
*(${width} *)(r10 -8) = r6
goto +2
*(u32 *)(r10 -8) = r6
*(u32 *)(r10 -4) = r6
r0 = *(u32 *)(r10 -4)
r0 = 0
exit`).insns,
});

describe('narrow spill pruning', () => {
  it('a 32-bit spill does not cover data bytes; a 64-bit one does', () => {
    const narrow = processed(spillThenData('narrow_spill', 'u32'));
    const wide = processed(spillThenData('wide_spill', 'u64'));
    expect(narrow).toBeGreaterThan(wide);
  });
});

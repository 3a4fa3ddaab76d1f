/**
 * check_stack_write_fixed_off: a register holding 0 stored where it is not a spill (a narrow,
 * misaligned store) makes the bytes STACK_ZERO, and the kernel marks the register precise so
 * that later states may rely on the zero. A second path storing another constant is then not
 * pruned into the first (samples/bpf sockex2_kern.o). A store of a nonzero value marks nothing.
 * Processed instruction counts are compared with the running kernel's when it is there.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import type { Program } from '../../src/isa/program.js';
import { expectProcessedLikeKernel as processed, kernelCompared, PRUNE_PAD } from './expect-verdicts.js';

kernelCompared('stack zero precision');

// The fall-through path (r7 = first) is explored first; the branch (r7 = second) reaches the store after it.
const narrowStore = (name: string, first: number, second: number): Program => ({
  name, section: '', type: 'socket_filter', license: 'GPL', maps: [],
  insns: assemble(`call bpf_get_prandom_u32
${PRUNE_PAD}
r7 = ${second}
if r0 == 0 goto +1
r7 = ${first}
*(u16 *)(r10 -4) = r7
r0 = 0
exit`).insns,
});

describe('stack zero precision', () => {
  it('a stored register 0 becomes precise; a nonzero one does not', () => {
    const zeroFirst = processed(narrowStore('zero_first', 0, 4));
    const nonzeroFirst = processed(narrowStore('nonzero_first', 4, 5));
    expect(zeroFirst).toBeGreaterThan(nonzeroFirst);
  });
});

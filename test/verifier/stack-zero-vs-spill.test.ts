/**
 * stacksafe: old zero bytes (STACK_ZERO) cover only zero bytes. A current slot holding a spilled
 * constant 0 is a spill: the kernel compares it as one scalar only with an old 64-bit spilled
 * scalar or an old all-data slot (scalar_reg_for_stack), and byte by byte otherwise, where ZERO is
 * not SPILL. Found in qemu's tools/ebpf/rss.bpf.c built by clang-14 (80930 insns in the kernel;
 * bpflab pruned a current `fp-168=0` spill against an old slot of data bytes and one zero byte and
 * processed 80911). Processed counts are compared with the running kernel's when it is there.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import type { Program } from '../../src/isa/program.js';
import { expectProcessedLikeKernel as processed, kernelCompared, PRUNE_PAD } from './expect-verdicts.js';

kernelCompared('zero bytes against a spilled zero');

// The fall-through path (explored first) leaves fp-8 as data bytes with one zero byte (a byte store
// of the constant 0 scrubs the spill of r6); after enough instructions and jumps it reaches the
// join, which keeps its state. The branch arrives with `current` in fp-8. Both read the slot there.
const joinWith = (name: string, current: string): Program => ({
  name, section: '', type: 'socket_filter', license: 'GPL', maps: [],
  insns: assemble(`call bpf_get_prandom_u32
${PRUNE_PAD}
r6 = r0
r7 = 0
if r0 == 1 goto +7
*(u64 *)(r10 -8) = r6
*(u8 *)(r10 -6) = r7
r8 = 0
r8 = 0
r8 = 0
r8 = 0
goto +${current.split('\n').length}
${current}
r0 = *(u64 *)(r10 -8)
r0 = 0
exit`).insns,
});

describe('stacksafe with zero bytes', () => {
  it('an old zero byte does not cover a spilled constant 0 (explored: 30 insns)', () => {
    // The old rule "a spilled scalar known to be 0 reads as zero bytes" pruned at the join (28).
    expect(processed(joinWith('zero_vs_spilled_zero', '*(u64 *)(r10 -8) = r7'))).toBe(30);
  });
  it('old data bytes cover current zero bytes, old zero bytes zero bytes (pruned: 30 insns, the join counted)', () => {
    // Unaligned stores of 0 leave zero bytes (fp-8 itself unwritten: privileged, uninit stack reads
    // as data): the old data bytes cover them, its zero byte covers a zero byte. Pruned at the join.
    expect(processed(joinWith('zero_bytes_vs_zero_bytes', '*(u32 *)(r10 -4) = r7\n*(u16 *)(r10 -6) = r7\n*(u8 *)(r10 -7) = r7'))).toBe(30);
  });
});

/**
 * stacksafe inside a loop whose marks are incomplete (Linux 6.18: an open SCC visit that already
 * converged somewhere, incomplete_read_marks): the finished checkpoint is compared by range
 * (RANGE_WITHIN), which ignores precision. An old 64-bit spilled scalar against current data
 * bytes (scalar_reg_for_stack: an unbound scalar) then covers them only when its range does:
 * an imprecise one is no longer enough. Here the loop body's first path (A) leaves a bounded
 * spill at fp-8 and reaches the join; the next (U) uses fp-8 as a stack offset, marking it
 * precise in the loop head's state only; the last (B) leaves data bytes at fp-8 and must not be
 * pruned at the join, since the next iteration's U reads them (perf's
 * augmented_raw_syscalls sys_enter: 637 processed instead of the kernel's 664).
 * Verdicts and processed counts are compared with the running kernel's when it is there.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import type { Program } from '../../src/isa/program.js';
import { expectProcessedLikeKernel as processed, expectVerdict, kernelCompared } from './expect-verdicts.js';

kernelCompared('loop range spill');

// `bound`: U bounds the offset itself (the program is safe), or not (it is safe only while fp-8 holds 0..7).
const loopProgram = (name: string, bound: boolean): Program => {
  const b = bound ? 1 : 0;
  return {
    name, section: '', type: 'socket_filter', license: 'GPL', maps: [],
    insns: assemble(`call bpf_get_prandom_u32
r0 &= 7
*(u64 *)(r10 -8) = r0
may_goto +${24 + b}
call bpf_get_prandom_u32
r6 = r0
r8 = 0
r9 = 0
goto +0
r8 = 0
r9 = 0
goto +0
if r6 > 5 goto +${11 + b}
if r6 == 1 goto +4
call bpf_get_prandom_u32
r0 &= 7
*(u64 *)(r10 -8) = r0
goto +${9 + b}
r1 = *(u64 *)(r10 -8)
${bound ? 'r1 &= 7\n' : ''}r2 = r10
r2 += -64
r2 += r1
r0 = *(u8 *)(r2 +0)
goto +3
call bpf_get_prandom_u32
*(u64 *)(r10 -8) = r0
*(u32 *)(r10 -4) = r0
goto -${25 + b}
r0 = 0
exit`).insns,
  };
};

describe('loop range spill', () => {
  it('a loop path leaving data bytes where a finished one spilled a bounded scalar is explored', () => {
    // Pruned at the join, the last path would end after 34 instructions.
    expect(processed(loopProgram('loop_spill_bounded_use', true))).toBe(65);
  });

  it('and the next iteration finds the unbounded offset', () => {
    expectVerdict(loopProgram('loop_spill_unbounded_use', false),
      ['reject', 'math between fp pointer and register with unbounded min value is not allowed']);
  });
});

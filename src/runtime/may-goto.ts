/**
 * may_goto (BPF_JMP | BPF_JCOND, src BPF_MAY_GOTO) as the running x86-64 Linux 6.18 executes it.
 * x86-64 has bpf_jit_supports_timed_may_goto(), so do_misc_fixups uses the TIMED form (checked
 * here: an unbounded `while (can_loop)` runs ~250 ms and 4e8 iterations in BPF_PROG_TEST_RUN,
 * not BPF_MAX_LOOPS): each frame of a subprogram with a may_goto gets two hidden stack slots,
 * set at its entry to count = BPF_MAX_TIMED_LOOPS and timestamp = 0. A may_goto then
 *   - jumps when count is 0;
 *   - else decrements count and falls through; when that makes count 0 it first calls
 *     arch_bpf_timed_may_goto -> bpf_check_timed_may_goto (kernel/bpf/core.c), whose result
 *     becomes the new count: 0xffff to go on, 0 once the frame's loop has run for 250 ms, so
 *     the next may_goto of the frame jumps.
 * The counter is per frame (every call of a subprogram, callback invocation and tail-call
 * target starts afresh), never shared between frames.
 *
 * Time is the run's deterministic Clock (what bpf_ktime_get_ns reads): a run only stops a loop
 * through may_goto when its clock says 250 ms passed; loops that end by themselves behave as
 * in the kernel.
 */
import type { Clock } from './env.js';

/** BPF_MAX_TIMED_LOOPS: may_gotos between two time checks. */
export const BPF_MAX_TIMED_LOOPS = 0xffff;
/** A frame's loops may run this long (NSEC_PER_SEC / 4). */
export const TIMED_MAY_GOTO_NS = 250_000_000n;

/**
 * bpf_check_timed_may_goto: the frame's new count; `stamp` is the frame's timestamp slot
 * (stamp[i]), set on the first check.
 */
export function timedMayGotoCheck(clock: Clock, stamp: BigInt64Array, i: number): number {
  const now = clock.mono();
  const t = stamp[i]!;
  if (t === 0n) { stamp[i] = BigInt.asIntN(64, now); return BPF_MAX_TIMED_LOOPS; }
  if (BigInt.asUintN(64, now - t) >= TIMED_MAY_GOTO_NS) return 0;
  return BPF_MAX_TIMED_LOOPS;
}

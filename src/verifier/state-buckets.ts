/**
 * The kernel keeps its explored states in a hash table indexed by instruction and the current
 * frame's call site (explored_state: `(idx ^ callsite) % state_htab_size`, the table as large as
 * the program). is_state_visited looks only at its own bucket: a checkpoint made at the same
 * instruction under another call site (a subprogram called from elsewhere) is neither compared
 * nor counted in its loop heuristics, unless the two happen to share a bucket.
 */
import type { VState } from './state.js';

/** The bucket of a state of `st`'s innermost frame at `pc`, in a program of `progLen` instructions. */
export function stateBucket(st: VState, pc: number, progLen: number): number {
  const callsite = st.frames[st.frames.length - 1]!.callsite;
  // C: int ^ int, then % u32: the sum is taken as unsigned (the main frame's callsite is -1)
  return ((pc ^ callsite) >>> 0) % progLen;
}

/**
 * Whether states at `pc` whose innermost frames were called from `ca` and `cb` fall into one
 * bucket: at once when the call sites are the same (the usual case; the unsigned modulo of a
 * main-frame state is a float division). Callers pass the call sites (a checkpoint keeps its
 * own, Checkpoint.callsite) so that a walk over a list reads no frames.
 */
export function sameBucket(ca: number, cb: number, pc: number, progLen: number): boolean {
  return ca === cb || ((pc ^ ca) >>> 0) % progLen === ((pc ^ cb) >>> 0) % progLen;
}

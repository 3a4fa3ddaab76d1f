/**
 * The numbers iterator behind bpf_for() / bpf_repeat() (kernel/bpf/bpf_iter.c). Its state is the
 * program's own 8-byte `struct bpf_iter_num` on its stack, laid out as the kernel's
 * `struct bpf_iter_num_kern { int cur; int end; }`: `cur` is the value bpf_iter_num_next()
 * hands out a pointer to, so the program reads the loop variable straight from its stack.
 */
import { type HelperEnv, argS32 } from '../env.js';
import { BPF_MAX_LOOPS } from '../helpers/impl/control.js';
import { E2BIG, EINVAL } from '../helpers/impl/common.js';
import { iterState, setKfuncInt, setR0Null, setR0ToIter } from './args.js';

/** bpf_iter_num_new(it, start, end): [start, end) or, on -EINVAL (start > end) / -E2BIG (more than BPF_MAX_LOOPS), an empty iterator. */
export function iterNumNew(env: HelperEnv): void {
  const id = iterState(env, 8);
  const v = env.mem.views[id]!, a = env.mem.at;
  const start = argS32(env, 2), end = argS32(env, 3);
  let err = 0;
  if (start > end) err = EINVAL;
  else if (end - start > BPF_MAX_LOOPS) err = E2BIG; // computed in 64 bits: no overflow for INT_MIN..INT_MAX
  if (err) { v.setInt32(a, 0, true); v.setInt32(a + 4, 0, true); }
  else { v.setInt32(a, (start - 1) | 0, true); v.setInt32(a + 4, end, true); } // next() pre-increments
  setKfuncInt(env, err);
}

/** bpf_iter_num_next(it): &it->cur after stepping it, or NULL (and the iterator emptied) when the range is done. */
export function iterNumNext(env: HelperEnv): void {
  const id = iterState(env, 8);
  const v = env.mem.views[id]!, a = env.mem.at;
  const cur = v.getInt32(a, true), end = v.getInt32(a + 4, true);
  // the kernel compares (s64)(cur + 1) with end: cur + 1 wraps in int first
  if (((cur + 1) | 0) >= end) {
    v.setInt32(a, 0, true); v.setInt32(a + 4, 0, true);
    setR0Null(env);
    return;
  }
  v.setInt32(a, (cur + 1) | 0, true);
  setR0ToIter(env, 0); // &it->cur: cur is the first field
}

/** bpf_iter_num_destroy(it): empties the iterator. */
export function iterNumDestroy(env: HelperEnv): void {
  const id = iterState(env, 8);
  const v = env.mem.views[id]!, a = env.mem.at;
  v.setInt32(a, 0, true); v.setInt32(a + 4, 0, true);
}

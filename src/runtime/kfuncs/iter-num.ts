/**
 * The numbers iterator behind bpf_for() / bpf_repeat() (kernel/bpf/bpf_iter.c). Its state is the
 * program's own 8-byte `struct bpf_iter_num` on its stack, laid out as the kernel's
 * `struct bpf_iter_num_kern { int cur; int end; }`: `cur` is the value bpf_iter_num_next()
 * hands out a pointer to, so the program reads the loop variable straight from its stack.
 */
import { type HelperEnv, arg, argS32, setR0, setR0Int } from '../env.js';
import { BPF_MAX_LOOPS } from '../helpers/impl/control.js';
import { E2BIG, EINVAL, argMem } from '../helpers/impl/common.js';

function state(env: HelperEnv): DataView {
  const b = argMem(env, 1, 8, true);
  return new DataView(b.buffer, b.byteOffset, 8);
}

/** bpf_iter_num_new(it, start, end): [start, end) or, on -EINVAL (start > end) / -E2BIG (more than BPF_MAX_LOOPS), an empty iterator. */
export function iterNumNew(env: HelperEnv): void {
  const s = state(env);
  const start = argS32(env, 2), end = argS32(env, 3);
  let err = 0;
  if (start > end) err = EINVAL;
  else if (end - start > BPF_MAX_LOOPS) err = E2BIG; // computed in 64 bits: no overflow for INT_MIN..INT_MAX
  if (err) { s.setInt32(0, 0, true); s.setInt32(4, 0, true); }
  else { s.setInt32(0, (start - 1) | 0, true); s.setInt32(4, end, true); } // next() pre-increments
  setKfuncInt(env, err);
}

/** bpf_iter_num_next(it): &it->cur after stepping it, or NULL (and the iterator emptied) when the range is done. */
export function iterNumNext(env: HelperEnv): void {
  const s = state(env);
  const cur = s.getInt32(0, true), end = s.getInt32(4, true);
  // the kernel compares (s64)(cur + 1) with end: cur + 1 wraps in int first
  if (((cur + 1) | 0) >= end) {
    s.setInt32(0, 0, true); s.setInt32(4, 0, true);
    setR0(env, 0n);
    return;
  }
  s.setInt32(0, (cur + 1) | 0, true);
  setR0(env, arg(env, 1)); // &it->cur: cur is the first field
}

/** bpf_iter_num_destroy(it): empties the iterator. */
export function iterNumDestroy(env: HelperEnv): void {
  const s = state(env);
  s.setInt32(0, 0, true); s.setInt32(4, 0, true);
}

/**
 * r0 for a kfunc returning a C `int`: the x86-64 callee writes eax, which zero-extends into rax
 * (the verifier only lets the program use the low 32 bits).
 */
export function setKfuncInt(env: HelperEnv, n: number): void {
  setR0Int(env, n);
  env.regs[1] = 0;
}

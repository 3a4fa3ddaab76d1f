/**
 * BPF workqueues (kernel/bpf/helpers.c, Linux 6.18): the state of a `struct bpf_wq` lives in its
 * 16 bytes of the map value, as the kernel's `struct bpf_async_kern` keeps its bpf_work pointer
 * there (the verifier lets no program read them; a user-space copy of the value skips them in
 * the kernel, not in bpflab). Here the first byte says how far the workqueue got: initialised
 * (bpf_wq_init), then with a callback (bpf_wq_set_callback_impl). Results are the kernel's:
 * - bpf_wq_init: -EINVAL for flags, -EBUSY when already initialised (__bpf_async_init), else 0;
 * - bpf_wq_set_callback_impl: -EINVAL for flags or an uninitialised workqueue, else 0;
 * - bpf_wq_start: -EINVAL for flags, or without an initialised workqueue with a callback, else 0.
 * The callback runs later on a kernel worker: bpflab schedules nothing, so it never runs here.
 */
import type { HelperEnv } from '../env.js';
import type { HelperFn } from '../helpers/impl/common.js';
import { EINVAL } from '../helpers/impl/common.js';
import { ERRNO } from '../maps/errno.js';
import { setKfuncInt } from './args.js';

const EBUSY = -ERRNO.EBUSY;
/** The marks in the workqueue's first byte. */
const INITIALISED = 1, HAS_CALLBACK = 2;
/** sizeof(struct bpf_wq). */
const WQ_SIZE = 16;

/** The workqueue r1 points to: its first byte's view and address (a fault when r1 is not 16 writable bytes). */
function wqState(env: HelperEnv): { v: DataView; a: number } {
  const id = env.mem.check(env.regs[3]!, env.regs[2]!, 0, WQ_SIZE, true, env.pc, false, false);
  return { v: env.mem.views[id]!, a: env.mem.at };
}

/** The low 32 bits of argument n (the kfuncs' `unsigned int flags`). */
const flagsArg = (env: HelperEnv, n: number): number => env.regs[2 * n]! >>> 0;

const wqInit: HelperFn = (env) => {
  const { v, a } = wqState(env);
  if (flagsArg(env, 3)) return setKfuncInt(env, EINVAL);
  if (v.getUint8(a) & INITIALISED) return setKfuncInt(env, EBUSY);
  v.setUint8(a, INITIALISED);
  setKfuncInt(env, 0);
};

const wqSetCallback: HelperFn = (env) => {
  const { v, a } = wqState(env);
  if (flagsArg(env, 3)) return setKfuncInt(env, EINVAL);
  const s = v.getUint8(a);
  if (!(s & INITIALISED)) return setKfuncInt(env, EINVAL);
  v.setUint8(a, s | HAS_CALLBACK);
  setKfuncInt(env, 0);
};

const wqStart: HelperFn = (env) => {
  const { v, a } = wqState(env);
  if (flagsArg(env, 2)) return setKfuncInt(env, EINVAL);
  setKfuncInt(env, v.getUint8(a) === (INITIALISED | HAS_CALLBACK) ? 0 : EINVAL);
};

export const WQ_KFUNCS: Readonly<Record<string, HelperFn>> = {
  bpf_wq_init: wqInit, bpf_wq_set_callback_impl: wqSetCallback, bpf_wq_start: wqStart,
};

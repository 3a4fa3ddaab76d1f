/**
 * The open-coded task iterator (bpf_for_each(task, ...): bpf_iter_task_new/next/destroy,
 * kernel/bpf/task_iter.c) over the run's kernel objects. The world's tasks in pid order stand for
 * the kernel's task list: BPF_TASK_ITER_ALL_PROCS visits the group leaders (pid == tgid),
 * BPF_TASK_ITER_ALL_THREADS every thread process by process, BPF_TASK_ITER_PROC_THREADS the
 * threads of the given task's process. The program's 24-byte `struct bpf_iter_task` holds the
 * state: flags + 1 (0: an empty iterator, as after a failed new or a destroy), the next position,
 * and the tgid of PROC_THREADS.
 */
import { type HelperEnv, arg, argU32, setR0 } from '../env.js';
import { EINVAL } from '../helpers/impl/common.js';
import { type KernelObject, kernelWorld } from '../kernel-objects/index.js';
import { iterState, setKfuncInt, setR0Null } from './args.js';

const ALL_PROCS = 0, ALL_THREADS = 1, PROC_THREADS = 2;
const STATE = 24;

/** The tasks an iterator of these flags visits, in order. */
function tasks(env: HelperEnv, flags: number, tgid: number): KernelObject[] {
  const w = kernelWorld(env);
  const all = w.ofType('task_struct').map((t) => ({ t, pid: Number(BigInt.asIntN(32, w.field(t, 'pid') ?? 0n)), tgid: Number(BigInt.asIntN(32, w.field(t, 'tgid') ?? 0n)) }));
  all.sort((a, b) => a.tgid - b.tgid || (a.pid === a.tgid ? -1 : b.pid === b.tgid ? 1 : a.pid - b.pid));
  const pick = flags === ALL_PROCS ? all.filter((x) => x.pid === x.tgid) : flags === PROC_THREADS ? all.filter((x) => x.tgid === tgid) : all;
  return pick.map((x) => x.t);
}

/** bpf_iter_task_new(it, task__nullable, flags): 0, or -EINVAL (unknown flags, PROC_THREADS without a task) and an empty iterator. */
export function iterTaskNew(env: HelperEnv): void {
  const id = iterState(env, STATE);
  const v = env.mem.views[id]!, a = env.mem.at;
  const flags = argU32(env, 3);
  const w = kernelWorld(env);
  const task = arg(env, 2) ? w.resolve(arg(env, 2)) : undefined;
  let err = 0;
  if (flags !== ALL_PROCS && flags !== ALL_THREADS && flags !== PROC_THREADS) err = EINVAL;
  else if (flags === PROC_THREADS && !task) err = EINVAL;
  v.setBigUint64(a, 0n, true); v.setBigUint64(a + 8, 0n, true); v.setBigUint64(a + 16, 0n, true);
  if (!err) {
    v.setUint32(a, flags + 1, true);
    if (task) v.setInt32(a + 16, Number(BigInt.asIntN(32, w.field(task.obj, 'tgid') ?? 0n)), true);
  }
  setKfuncInt(env, err);
}

/** bpf_iter_task_next(it): the next task (trusted, RCU-protected), or NULL when done. */
export function iterTaskNext(env: HelperEnv): void {
  const id = iterState(env, STATE);
  const v = env.mem.views[id]!, a = env.mem.at;
  const f = v.getUint32(a, true);
  if (!f) { setR0Null(env); return; }
  const pos = v.getUint32(a + 8, true);
  const list = tasks(env, f - 1, v.getInt32(a + 16, true));
  const t = list[pos];
  if (!t) { setR0Null(env); return; }
  v.setUint32(a + 8, pos + 1, true);
  setR0(env, kernelWorld(env).pointer(t));
}

/** bpf_iter_task_destroy(it): empties the iterator. */
export function iterTaskDestroy(env: HelperEnv): void {
  const id = iterState(env, STATE);
  const v = env.mem.views[id]!, a = env.mem.at;
  v.setBigUint64(a, 0n, true); v.setBigUint64(a + 8, 0n, true); v.setBigUint64(a + 16, 0n, true);
}

/**
 * kfuncs over the run's kernel objects (runtime/kernel-objects): task and cgroup references
 * (kernel/bpf/helpers.c: bpf_task_acquire takes a reference only while rcu_users is not zero,
 * bpf_task_from_pid looks the pid up among the world's tasks) and struct bpf_cpumask
 * (kernel/bpf/cpumask.c: created zeroed with one reference, bits set and tested in place).
 * The world's regions are read-only to the program; these kfuncs write the refcounts and
 * mask bits as the kernel's own code does.
 */
import { type HelperEnv, arg, argU32, setR0 } from '../env.js';
import { VmError } from '../errors.js';
import { type KernelObject, type KernelWorld, kernelWorld } from '../kernel-objects/index.js';
import { memberPath, readInt, writeInt } from '../kernel-objects/layout.js';
import type { HelperFn } from '../helpers/impl/common.js';
import { setKfuncInt } from './args.js';
import { iterTaskDestroy, iterTaskNew, iterTaskNext } from './iter-task.js';

/** Objects a run's world may hold (kfunc allocations beyond it fail with NULL). */
const MAX_WORLD_OBJECTS = 4096;

/** The world object argument `n` points to (at its start), else a bad_call naming the kfunc. */
function objectArg(env: HelperEnv, n: number, kfunc: string, type?: string): KernelObject {
  const at = kernelWorld(env).resolve(arg(env, n));
  if (!at || at.off !== 0 || (type && at.obj.typeName !== type)) throw new VmError('bad_call', env.pc, `${kfunc}: R${n} is not a ${type ? `struct ${type}` : 'kernel object'} of the run's world`);
  return at.obj;
}

/** Adds `delta` to the refcount_t at `field`, unless it is 0 (refcount_inc_not_zero); the new value. */
function refAdd(w: KernelWorld, obj: KernelObject, field: string, delta: number): bigint {
  const loc = memberPath(w.btf, obj.typeId, field);
  if (typeof loc === 'string') return 1n; // a kernel without the counter: always alive
  const cur = BigInt.asIntN(32, readInt(obj.bytes, loc.off, 4));
  if (cur <= 0n) return 0n;
  const next = cur + BigInt(delta);
  writeInt(w.ownBytes(obj), loc.off, 4, next);
  return next;
}

const taskAcquire: HelperFn = (env) => {
  const t = objectArg(env, 1, 'bpf_task_acquire', 'task_struct');
  const w = kernelWorld(env);
  setR0(env, refAdd(w, t, 'rcu_users', 1) ? w.pointer(t) : 0n);
};

const taskRelease: HelperFn = (env) => {
  refAdd(kernelWorld(env), objectArg(env, 1, 'bpf_task_release', 'task_struct'), 'rcu_users', -1);
};

/** bpf_task_from_pid(pid): the task with that pid (find_task_by_pid_ns in the init namespace), referenced; NULL when none. */
const taskFromPid: HelperFn = (env) => {
  const w = kernelWorld(env);
  const pid = BigInt(env.regs[2]! | 0);
  const t = w.ofType('task_struct').find((o) => BigInt.asIntN(32, w.field(o, 'pid') ?? -1n) === pid);
  setR0(env, t && refAdd(w, t, 'rcu_users', 1) ? w.pointer(t) : 0n);
};

/** cgroup_tryget: the world's cgroups are alive (their percpu refcount is not modelled). */
const cgroupAcquire: HelperFn = (env) => {
  const c = objectArg(env, 1, 'bpf_cgroup_acquire', 'cgroup');
  setR0(env, kernelWorld(env).pointer(c));
};

const cgroupRelease: HelperFn = (env) => { objectArg(env, 1, 'bpf_cgroup_release', 'cgroup'); };

/** bpf_cgroup_from_id(id): the cgroup whose kernfs node has that id, referenced; NULL when none. */
const cgroupFromId: HelperFn = (env) => {
  const w = kernelWorld(env);
  const id = arg(env, 1);
  const c = w.ofType('cgroup').find((o) => { const kn = w.resolve(w.field(o, 'kn') ?? 0n); return kn !== undefined && w.field(kn.obj, 'id') === id; });
  setR0(env, c ? w.pointer(c) : 0n);
};

/** The bits of the cpumask argument `n` (a struct cpumask, or the bpf_cpumask holding it at offset 0). */
function maskBits(env: HelperEnv, n: number, kfunc: string): Uint8Array {
  const at = kernelWorld(env).resolve(arg(env, n));
  if (!at || (at.obj.typeName !== 'bpf_cpumask' && at.obj.typeName !== 'cpumask')) throw new VmError('bad_call', env.pc, `${kfunc}: R${n} is not a cpumask of the run's world`);
  const w = kernelWorld(env);
  const t = w.btf.find('cpumask', 'struct')[0];
  const size = t?.kind === 'struct' ? t.size : 32;
  return w.ownBytes(at.obj).subarray(at.off, at.off + size);
}

/** bpf_cpumask_create(): a zeroed mask with one reference (NULL would be allocation failure). */
const cpumaskCreate: HelperFn = (env) => {
  const w = kernelWorld(env);
  const t = w.btf.find('bpf_cpumask', 'struct')[0];
  if (!t) throw new VmError('unsupported', env.pc, 'bpf_cpumask_create: the kernel BTF has no struct bpf_cpumask');
  // bpf_mem_cache_alloc fails when memory runs out: a run may hold a bounded number of masks
  if (w.objects.size >= MAX_WORLD_OBJECTS) { setR0(env, 0n); return; }
  const m = w.add(`cpumask${w.objects.size}`, t.id);
  const loc = memberPath(w.btf, m.typeId, 'usage');
  if (typeof loc !== 'string') writeInt(w.ownBytes(m), loc.off, 4, 1n);
  setR0(env, w.pointer(m));
};

const cpumaskAcquire: HelperFn = (env) => {
  const m = objectArg(env, 1, 'bpf_cpumask_acquire', 'bpf_cpumask');
  refAdd(kernelWorld(env), m, 'usage', 1);
  setR0(env, kernelWorld(env).pointer(m));
};

const cpumaskRelease: HelperFn = (env) => { refAdd(kernelWorld(env), objectArg(env, 1, 'bpf_cpumask_release', 'bpf_cpumask'), 'usage', -1); };

/** cpu < nr_cpu_ids: every CPU the mask type can name is a possible CPU of the model. */
function cpuBit(bits: Uint8Array, cpu: number): [number, number] | undefined {
  return cpu < bits.length * 8 ? [cpu >> 3, 1 << (cpu & 7)] : undefined;
}

const cpumaskSetCpu: HelperFn = (env) => { const b = maskBits(env, 2, 'bpf_cpumask_set_cpu'); const c = cpuBit(b, argU32(env, 1)); if (c) b[c[0]]! |= c[1]; };
const cpumaskClearCpu: HelperFn = (env) => { const b = maskBits(env, 2, 'bpf_cpumask_clear_cpu'); const c = cpuBit(b, argU32(env, 1)); if (c) b[c[0]]! &= ~c[1]; };
const cpumaskTestCpu: HelperFn = (env) => { const b = maskBits(env, 2, 'bpf_cpumask_test_cpu'); const c = cpuBit(b, argU32(env, 1)); setKfuncInt(env, c && (b[c[0]]! & c[1]) ? 1 : 0); };
const cpumaskSetall: HelperFn = (env) => { maskBits(env, 1, 'bpf_cpumask_setall').fill(0xff); };
const cpumaskClear: HelperFn = (env) => { maskBits(env, 1, 'bpf_cpumask_clear').fill(0); };
const cpumaskEmpty: HelperFn = (env) => { setKfuncInt(env, maskBits(env, 1, 'bpf_cpumask_empty').every((x) => x === 0) ? 1 : 0); };
const cpumaskWeight: HelperFn = (env) => {
  let n = 0;
  for (const x of maskBits(env, 1, 'bpf_cpumask_weight')) for (let v = x; v; v &= v - 1) n++;
  setKfuncInt(env, n);
};
/** bpf_cpumask_first: the first set bit, nr_cpu_ids when none. */
const cpumaskFirst: HelperFn = (env) => {
  const b = maskBits(env, 1, 'bpf_cpumask_first');
  let i = 0;
  while (i < b.length * 8 && !(b[i >> 3]! & (1 << (i & 7)))) i++;
  setKfuncInt(env, i);
};

export const OBJECT_KFUNCS: Record<string, HelperFn> = {
  bpf_task_acquire: taskAcquire, bpf_task_release: taskRelease, bpf_task_from_pid: taskFromPid,
  bpf_cgroup_acquire: cgroupAcquire, bpf_cgroup_release: cgroupRelease, bpf_cgroup_from_id: cgroupFromId,
  bpf_cpumask_create: cpumaskCreate, bpf_cpumask_acquire: cpumaskAcquire, bpf_cpumask_release: cpumaskRelease,
  bpf_cpumask_set_cpu: cpumaskSetCpu, bpf_cpumask_clear_cpu: cpumaskClearCpu, bpf_cpumask_test_cpu: cpumaskTestCpu,
  bpf_cpumask_setall: cpumaskSetall, bpf_cpumask_clear: cpumaskClear, bpf_cpumask_empty: cpumaskEmpty,
  bpf_cpumask_weight: cpumaskWeight, bpf_cpumask_first: cpumaskFirst,
  bpf_iter_task_new: iterTaskNew, bpf_iter_task_next: iterTaskNext, bpf_iter_task_destroy: iterTaskDestroy,
};

/**
 * The kernel world of one run: built from the default world and the user's description when
 * the run starts (BTF-typed programs, or any run given a description) or on first use (a kprobe
 * calling bpf_get_current_task), with the run's Task kept in step with the current task_struct.
 */
import { RUNNING_KERNEL_BTF, readTargetBtf } from '../../loader/target.js';
import type { Btf } from '../../loader/btf/index.js';
import type { HelperEnv, Task } from '../env.js';
import { VmError } from '../errors.js';
import type { Memory } from '../memory.js';
import { DEFAULT_OBJECT_NAMES, defaultWorld } from './default-world.js';
import { type WorldDescription, mergeWorlds } from './description.js';
import { type KernelWorld, buildWorld } from './world.js';

/** The kernel BTF a program's objects are laid out by (its --btf target, else the running kernel's), or why it is unavailable. */
export function worldBtf(targetBtf: string | undefined): Btf | string {
  return readTargetBtf(targetBtf ?? RUNNING_KERNEL_BTF);
}

/** Builds the world of a run into `mem`; throws WorldError for a bad description. */
export function instantiateWorld(mem: Memory, btf: Btf, task: Readonly<Task>, desc: WorldDescription | undefined): KernelWorld {
  const merged = desc ? mergeWorlds(defaultWorld(task), desc) : defaultWorld(task);
  return buildWorld(mem, btf, merged, { names: DEFAULT_OBJECT_NAMES, user: desc });
}

/** The Task the pid/uid/comm helpers answer, read back from the world's current task_struct. */
export function taskOfWorld(w: KernelWorld, base: Readonly<Task>): Task {
  const cur = w.current;
  if (!cur) return { ...base };
  const out: Task = { ...base };
  const pid = w.field(cur, 'pid'), tgid = w.field(cur, 'tgid'), comm = w.text(cur, 'comm');
  if (pid !== undefined) out.pid = Number(BigInt.asIntN(32, pid));
  if (tgid !== undefined) out.tgid = Number(BigInt.asIntN(32, tgid));
  if (comm !== undefined) out.comm = comm;
  const credPtr = w.field(cur, 'cred');
  const cred = credPtr !== undefined ? w.resolve(credPtr) : undefined;
  if (cred) {
    const uid = w.field(cred.obj, 'uid'), gid = w.field(cred.obj, 'gid');
    if (uid !== undefined) out.uid = Number(uid);
    if (gid !== undefined) out.gid = Number(gid);
  }
  const cg = w.resolve(w.field(cur, 'cgroups') ?? 0n);
  const dfl = cg && w.resolve(w.field(cg.obj, 'dfl_cgrp') ?? 0n);
  const kn = dfl && w.resolve(w.field(dfl.obj, 'kn') ?? 0n);
  const id = kn && w.field(kn.obj, 'id');
  if (id) out.cgroupId = id;
  return out;
}

/** The run's world, built on first use from the default world and the description the run was given. */
export function kernelWorld(env: HelperEnv): KernelWorld {
  if (env.kernel) return env.kernel;
  const btf = worldBtf(env.program.targetBtf);
  if (typeof btf === 'string') throw new VmError('unsupported', env.pc, `kernel objects need the kernel BTF: ${btf}`);
  env.kernel = instantiateWorld(env.mem, btf, env.task, env.kernelObjects);
  env.task = taskOfWorld(env.kernel, env.task);
  env.mem.probeLoads = true;
  return env.kernel;
}

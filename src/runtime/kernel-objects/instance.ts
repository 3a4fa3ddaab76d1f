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
import { type KernelWorld, type WorldImage, buildWorld, captureWorld, replayWorld } from './world.js';

/** The kernel BTF a program's objects are laid out by (its --btf target, else the running kernel's), or why it is unavailable. */
export function worldBtf(targetBtf: string | undefined): Btf | string {
  return readTargetBtf(targetBtf ?? RUNNING_KERNEL_BTF);
}

/**
 * Default worlds as built (no user description): by kernel BTF, then by the task and the region
 * the world starts at. Runs of fuzzed programs build the same default world again and again, at
 * the same point of the run (the first bpf_get_current_task, say): they replay its image.
 */
const defaultImages = new WeakMap<Btf, Map<string, { image: WorldImage; task: Task }>>();
const MAX_IMAGES = 16;

const taskKey = (t: Readonly<Task>, base: number): string =>
  `${base} ${t.pid} ${t.tgid} ${t.uid} ${t.gid} ${t.cgroupId} ${t.cgroupAncestors?.join(',') ?? '-'} ${t.comm}`;

/** Builds the world of a run into `mem`; throws WorldError for a bad description. */
export function instantiateWorld(mem: Memory, btf: Btf, task: Readonly<Task>, desc: WorldDescription | undefined): KernelWorld {
  return instantiate(mem, btf, task, desc).world;
}

/** The world and the Task read back from it (taskOfWorld), a default world from its image when one was built before. */
function instantiate(mem: Memory, btf: Btf, task: Readonly<Task>, desc: WorldDescription | undefined): { world: KernelWorld; task: () => Task } {
  if (desc) {
    const world = buildWorld(mem, btf, mergeWorlds(defaultWorld(task), desc), { names: DEFAULT_OBJECT_NAMES, user: desc });
    return { world, task: () => taskOfWorld(world, task) };
  }
  let images = defaultImages.get(btf);
  if (!images) defaultImages.set(btf, (images = new Map()));
  const key = taskKey(task, mem.count);
  const hit = images.get(key);
  if (hit) {
    const world = replayWorld(hit.image, mem);
    return { world, task: () => ({ ...hit.task, ...(hit.task.cgroupAncestors && { cgroupAncestors: [...hit.task.cgroupAncestors] }) }) };
  }
  const base = mem.count;
  const world = buildWorld(mem, btf, defaultWorld(task), { names: DEFAULT_OBJECT_NAMES, user: undefined });
  const image = captureWorld(world, base);
  if (image) {
    if (images.size >= MAX_IMAGES) images.delete(images.keys().next().value!);
    images.set(key, { image, task: taskOfWorld(world, task) });
  }
  return { world, task: () => taskOfWorld(world, task) };
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
  const built = instantiate(env.mem, btf, env.task, env.kernelObjects);
  env.kernel = built.world;
  env.task = built.task();
  env.mem.probeLoads = true;
  return env.kernel;
}

/** Helpers about the machine and the current task: clocks, random numbers, CPU, pid/uid/comm, cgroup. */
import { arg, argNum, setR0, setR0Int } from '../../env.js';
import { isCgroupArray } from '../../maps/guards.js';
import { VmError } from '../../errors.js';
import type { HelperEnv } from '../../env.js';
import { E2BIG, type HelperFn, mapArg } from './common.js';
import { ERRNO } from '../../maps/errno.js';

export const ktimeGetNs: HelperFn = (env) => setR0(env, env.clock.mono());
export const ktimeGetBootNs: HelperFn = (env) => setR0(env, env.clock.boot());
export const ktimeGetCoarseNs: HelperFn = (env) => setR0(env, env.clock.mono());
export const ktimeGetTaiNs: HelperFn = (env) => setR0(env, env.clock.tai());
export const jiffies64: HelperFn = (env) => setR0(env, env.clock.jiffies());
export const getPrandomU32: HelperFn = (env) => { env.regs[0] = env.rng.u32() | 0; env.regs[1] = 0; };
export const getSmpProcessorId: HelperFn = (env) => setR0Int(env, env.cpu);
export const getNumaNodeId: HelperFn = (env) => setR0Int(env, 0);

export const getCurrentPidTgid: HelperFn = (env) => setR0(env, (BigInt(env.task.tgid >>> 0) << 32n) | BigInt(env.task.pid >>> 0));
export const getCurrentUidGid: HelperFn = (env) => setR0(env, (BigInt(env.task.gid >>> 0) << 32n) | BigInt(env.task.uid >>> 0));
export const getCurrentCgroupId: HelperFn = (env) => setR0(env, env.task.cgroupId);

/** bpf_get_current_comm(buf, size): strscpy_pad of the task name (at most 15 bytes) into size bytes. */
export const getCurrentComm: HelperFn = (env) => {
  const size = argNum(env, 2);
  const buf = env.mem.slice(arg(env, 1), size, true, env.pc);
  buf.fill(0);
  const name = env.task.comm.slice(0, 15);
  for (let i = 0; i < Math.min(name.length, size - 1); i++) buf[i] = name.charCodeAt(i) & 0xff;
  setR0Int(env, 0);
};

/** task_under_cgroup_hierarchy() for the modelled task: its own cgroup or one of its ancestors. */
function underCgroup(env: HelperEnv, map: number, index: bigint): number {
  const m = mapArg(env, map);
  if (!isCgroupArray(m)) throw new VmError('bad_call', env.pc, `R${map} is not a cgroup_array map`);
  const i = BigInt.asUintN(32, index);
  if (i >= BigInt(m.spec.maxEntries)) return E2BIG;
  const cg = m.getCgroup(Number(i));
  if (cg === undefined) return -ERRNO.EAGAIN;
  return cg === env.task.cgroupId || (env.task.cgroupAncestors ?? [1n]).includes(cg) ? 1 : 0;
}

/** bpf_current_task_under_cgroup(map, index): 1 / 0, -E2BIG past max_entries, -EAGAIN for an empty slot. */
export const currentTaskUnderCgroup: HelperFn = (env) => setR0Int(env, underCgroup(env, 1, arg(env, 2)));

/**
 * bpf_skb_under_cgroup(skb, map, index): the skb's socket's cgroup. In BPF_PROG_TEST_RUN the skb
 * carries a socket the calling task created, so it answers as for the current task.
 */
export const skbUnderCgroup: HelperFn = (env) => setR0Int(env, underCgroup(env, 2, arg(env, 3)));

/**
 * Helpers that answer from the run's kernel objects (runtime/kernel-objects): the current
 * task_struct and bpf_d_path over a struct path's dentry chain.
 */
import { type HelperEnv, arg, argNum, setR0, setR0Int } from '../../env.js';
import { VmError } from '../../errors.js';
import { dentryPath, kernelWorld, worldBtf } from '../../kernel-objects/index.js';
import { memberPath } from '../../kernel-objects/layout.js';
import { EINVAL, type HelperFn } from './common.js';

const ENAMETOOLONG = -36;

/**
 * bpf_get_current_task / bpf_get_current_task_btf: a pointer to the world's current task_struct.
 * Without a kernel BTF to build the world from (and no world yet), a stable address stands for it:
 * the program can compare and store it, and probe reads of it fail as for unmapped memory.
 */
export const getCurrentTask: HelperFn = (env) => {
  if (!env.kernel && typeof worldBtf(env.program.targetBtf) === 'string') { setR0(env, 0xffff888000000000n + BigInt(env.task.pid >>> 0) * 0x2000n); return; }
  const w = kernelWorld(env);
  setR0(env, w.current ? w.pointer(w.current) : 0n);
};

/** The struct path at `p` in the world: its dentry pointer, or undefined when p is not one. */
function pathDentry(env: HelperEnv, p: bigint): bigint | undefined {
  const w = kernelWorld(env);
  const at = w.resolve(p);
  const pathT = w.btf.find('path', 'struct')[0];
  if (!at || !pathT) return undefined;
  const loc = memberPath(w.btf, pathT.id, 'dentry');
  if (typeof loc === 'string' || at.off + loc.off + 8 > at.obj.bytes.length) return undefined;
  const dv = new DataView(at.obj.bytes.buffer, at.obj.bytes.byteOffset, at.obj.bytes.byteLength);
  return dv.getBigUint64(at.off + loc.off, true);
}

/**
 * bpf_d_path(path, buf, sz): the absolute path into buf with its NUL; returns the length with
 * the NUL, -ENAMETOOLONG when buf is too small (d_path fills from the end, then moves it down).
 */
export const dPath: HelperFn = (env) => {
  const sz = argNum(env, 3);
  const buf = env.mem.slice(arg(env, 2), sz, true, env.pc);
  const dentry = pathDentry(env, arg(env, 1));
  if (dentry === undefined) throw new VmError('bad_call', env.pc, 'bpf_d_path: R1 is not a struct path of a modelled kernel object');
  const path = dentryPath(kernelWorld(env), dentry);
  if (path === undefined) { setR0Int(env, EINVAL); return; }
  if (path.length + 1 > sz) { setR0Int(env, ENAMETOOLONG); return; }
  for (let i = 0; i < path.length; i++) buf[i] = path.charCodeAt(i) & 0xff;
  buf[path.length] = 0;
  setR0Int(env, path.length + 1);
};


/**
 * kfunc implementations by name: ONE table the VM and the JIT both dispatch on. A kfunc call
 * (BPF_PSEUDO_KFUNC_CALL) carries the FUNC's id in the target kernel's BTF (the loader resolved
 * the object's `.ksyms` against it); the engines turn that id into a name once, at link time,
 * and call the implementation like a helper: `(env) => void`, r1..r5 in, r0 out.
 *
 * Chosen for being exact at run time and common in selftests and libbpf-era tools: the
 * numbers and bits iterators, the kfuncs the kernel's fixup_kfunc_call rewrites into
 * `r0 = r1` (casts), and the RCU / preemption section markers, which change nothing a program
 * on the single modelled CPU can observe; and the dynptr kfuncs (over the run's packet and the
 * memory model); the conntrack lookups' argument checks (an empty conntrack table); the workqueue
 * kfuncs' results (wq.ts: their callbacks never run). Anything else stays an 'unsupported' error naming
 * the kfunc.
 */
import type { Program } from '../../isa/program.js';
import { RUNNING_KERNEL_BTF, readTargetBtf } from '../../loader/target.js';
import { type HelperEnv, arg, setR0 } from '../env.js';
import type { HelperFn } from '../helpers/impl/common.js';
import { iterBitsDestroy, iterBitsNew, iterBitsNext } from './iter-bits.js';
import { iterNumDestroy, iterNumNew, iterNumNext } from './iter-num.js';
import * as dyn from './dynptr.js';
import { OBJECT_KFUNCS } from './objects.js';
import { castToKernCtx } from './kern-ctx.js';
import { CONNTRACK_KFUNCS } from './conntrack.js';
import { WQ_KFUNCS } from './wq.js';

export { KernelHeap, BPF_MEM_ALLOC_MAX_SIZE, MAX_LIVE_BLOCKS } from './heap.js';
export { BITS_ITER_NR_WORDS_MAX } from './iter-bits.js';

/**
 * fixup_kfunc_call patches the casts into `r0 = r1`: bpf_rdonly_cast is the identity at run time
 * (bpf_cast_to_kern_ctx: kern-ctx.ts), and the verifier made every load through its result a
 * BPF_PROBE_MEM load, which reads 0 where the address faults (a NULL cast read at an offset).
 */
function rdonlyCast(env: HelperEnv): void {
  env.mem.probeLoads = true;
  setR0(env, arg(env, 1));
}

/** rcu_read_lock() and friends: no effect on the program's registers or memory (void kfuncs leave r0 undefined). */
function sectionMarker(): void {}

const IMPLS: Record<string, HelperFn> = {
  bpf_iter_num_new: iterNumNew, bpf_iter_num_next: iterNumNext, bpf_iter_num_destroy: iterNumDestroy,
  bpf_iter_bits_new: iterBitsNew, bpf_iter_bits_next: iterBitsNext, bpf_iter_bits_destroy: iterBitsDestroy,
  bpf_cast_to_kern_ctx: castToKernCtx, bpf_rdonly_cast: rdonlyCast,
  bpf_rcu_read_lock: sectionMarker, bpf_rcu_read_unlock: sectionMarker, bpf_preempt_disable: sectionMarker, bpf_preempt_enable: sectionMarker,
  bpf_dynptr_from_skb: dyn.dynptrFromSkb, bpf_dynptr_from_xdp: dyn.dynptrFromXdp, bpf_dynptr_slice: dyn.dynptrSlice,
  bpf_dynptr_slice_rdwr: dyn.dynptrSliceRdwr, bpf_dynptr_adjust: dyn.dynptrAdjust, bpf_dynptr_is_null: dyn.dynptrIsNull,
  bpf_dynptr_is_rdonly: dyn.dynptrIsRdonly, bpf_dynptr_size: dyn.dynptrSize, bpf_dynptr_clone: dyn.dynptrClone, bpf_dynptr_copy: dyn.dynptrCopy,
  ...OBJECT_KFUNCS,
  ...CONNTRACK_KFUNCS,
  ...WQ_KFUNCS,
  bpf_dynptr_memset: dyn.dynptrMemset,
};

export const KFUNCS: ReadonlyMap<string, HelperFn> = new Map(Object.entries(IMPLS));

/** A kfunc call site resolved for running: the implementation, or why there is none. */
export type LinkedKfunc = { name: string; fn: HelperFn } | { name: string | undefined; why: string };

/** Kernel text without KASLR: where the stand-in addresses of kfuncs start. */
const KERNEL_TEXT = 0xffff_ffff_8100_0000n;

/**
 * The value of `ld_imm64 rX, btf_id[id]` (BPF_PSEUDO_BTF_ID) for a kfunc, as in libbpf's
 * bpf_ksym_exists(): the kernel loads the function's address, typed as zero-size read-only memory,
 * so only whether it is NULL can be used. The VM gives a fixed stand-in address per function
 * (reproducible runs); ksyms of kernel variables are not modelled (a string says why).
 */
export function ksymAddress(program: Program, id: number): bigint | string {
  const path = program.targetBtf ?? RUNNING_KERNEL_BTF;
  const btf = readTargetBtf(path);
  if (typeof btf === 'string') return `ld_imm64 of btf id ${id}: the kernel BTF is unavailable: ${btf}`;
  const t = btf.type(id);
  if (t?.kind !== 'func') return `ld_imm64 of btf id ${id}${t && 'name' in t ? ` (${t.name})` : ''}: kernel variables (typed ksyms) are not modelled`;
  return KERNEL_TEXT + BigInt(id) * 16n;
}

/**
 * What the kfunc with BTF id `id` of `program`'s target kernel (program.targetBtf, else the
 * running kernel's) is and whether bpflab runs it.
 */
export function linkKfunc(program: Program, id: number): LinkedKfunc {
  const path = program.targetBtf ?? RUNNING_KERNEL_BTF;
  const btf = readTargetBtf(path);
  if (typeof btf === 'string') return { name: undefined, why: `kfunc call (btf id ${id}): the kernel BTF to name it is unavailable: ${btf}` };
  const t = btf.type(id);
  if (!t || t.kind !== 'func') return { name: undefined, why: `kfunc call: btf id ${id} is not a function in ${path}` };
  const fn = KFUNCS.get(t.name);
  return fn ? { name: t.name, fn } : { name: t.name, why: `kfunc ${t.name} (btf id ${id}) is not implemented by bpflab` };
}

/**
 * Per-CPU objects the program allocates, as 6.18's verifier models them:
 * - bpf_percpu_obj_new_impl gives an owning reference to a new per-CPU object of one of the
 *   program's structs, PTR_TO_BTF_ID | MEM_ALLOC | MEM_PERCPU; the struct must hold scalars only,
 *   no special field, and fit BPF_GLOBAL_PERCPU_MA_MAX_SIZE (check_kfunc_call);
 * - bpf_percpu_obj_drop_impl releases it (and only it: KF_ARG_PTR_TO_ALLOC_BTF_ID pairs each kind of
 *   allocated object with its own drop kfunc);
 * - a `__percpu_kptr` map field holds one: bpf_kptr_xchg moves it in and out; inside an RCU section
 *   the pointer given away stays usable as MEM_PERCPU | MEM_RCU (check_helper_call: a released
 *   MEM_ALLOC | MEM_PERCPU register loses MEM_ALLOC instead of dying), and a load of the field
 *   gives the same kind of pointer (btf_ld_kptr_type);
 * - per-CPU memory is never dereferenced directly: bpf_this_cpu_ptr / bpf_per_cpu_ptr of an
 *   RCU-protected per-CPU pointer give one CPU's copy, PTR_TO_BTF_ID | MEM_ALLOC | MEM_RCU, never
 *   NULL (returns_cpu_specific_alloc_ptr), which the program may read and write.
 * Such pointers are typed by the program's BTF; bpflab marks the ones without MEM_ALLOC LOCAL_BTF.
 */
import type { Btf, BtfType } from '../loader/btf/index.js';
import type { Env } from './env.js';
import type { Reg } from './state.js';
import { structRecord } from './map-record.js';
import { isScalarStruct } from './btf-scalar.js';
import { LOCAL_BTF, MEM_ALLOC, MEM_PERCPU, MEM_RCU, T, isLocalBtf } from './reg-types.js';

/** BPF_GLOBAL_PERCPU_MA_MAX_SIZE: the largest per-CPU object bpf_global_percpu_ma hands out. */
export const PERCPU_OBJ_MAX_SIZE = 512;

/** check_kfunc_call's rules for the struct bpf_percpu_obj_new_impl allocates (after it is known to be a struct). */
export function checkPercpuObjType(env: Env, btf: Btf, t: Extract<BtfType, { kind: 'struct' | 'union' }>): void {
  if (t.size > PERCPU_OBJ_MAX_SIZE) env.reject('helper_arg', `bpf_percpu_obj_new type size (${t.size}) is greater than ${PERCPU_OBJ_MAX_SIZE}`);
  if (!isScalarStruct(env, btf, t, 0)) env.reject('helper_arg', 'bpf_percpu_obj_new type ID argument must be of a struct of scalars');
  if (structRecord(btf, t.id)) env.reject('helper_arg', 'bpf_percpu_obj_new type ID argument must not contain special fields');
}

/** KF_ARG_PTR_TO_ALLOC_BTF_ID: which drop kfunc an allocated object needs, or the kernel's message. */
export function allocDropProblem(name: string, i: number, type: number): string | undefined {
  if (type === (T.PTR_TO_BTF_ID | MEM_ALLOC)) return name === 'bpf_obj_drop_impl' ? undefined : `arg#${i} expected for bpf_obj_drop_impl()`;
  if (type === (T.PTR_TO_BTF_ID | MEM_ALLOC | MEM_PERCPU)) return name === 'bpf_percpu_obj_drop_impl' ? undefined : `arg#${i} expected for bpf_percpu_obj_drop_impl()`;
  return `arg#${i} expected pointer to allocated object`;
}

/**
 * bpf_kptr_xchg's release of the object it stores, inside an RCU section: the registers holding a
 * per-CPU object keep pointing to it, RCU-protected and no longer owning. The caller then releases
 * the reference, which invalidates the other registers that held it.
 */
export function keepPercpuRcuAfterXchg(env: Env, refId: number): void {
  if (!refId || !env.inRcu()) return;
  env.forEachReg((r) => {
    if (r.refObjId !== refId || !(r.type & MEM_ALLOC) || !(r.type & MEM_PERCPU)) return;
    r.refObjId = 0;
    r.type = (r.type & ~MEM_ALLOC) | MEM_RCU | LOCAL_BTF;
  });
}

/** What r0 of bpf_this_cpu_ptr / bpf_per_cpu_ptr is for argument `r1` when it is an RCU-protected per-CPU object. */
export interface PercpuObjArg {
  btfId: number;
}

/** ARG_PTR_TO_PERCPU_BTF_ID with MEM_RCU: one CPU's copy of a per-CPU object (the kernel's returns_cpu_specific_alloc_ptr). */
export function percpuObjArg(env: Env, r1: Reg): PercpuObjArg | undefined {
  if (!(r1.type & MEM_RCU)) return undefined;
  if (!isLocalBtf(r1.type)) env.reject('unsupported', 'bpflab does not model bpf_this_cpu_ptr / bpf_per_cpu_ptr of RCU-protected per-CPU kernel pointers');
  return { btfId: r1.memSize };
}

/** r0 of bpf_this_cpu_ptr / bpf_per_cpu_ptr of a per-CPU object: this CPU's (or one CPU's) copy, never NULL. */
export function percpuObjResult(env: Env, r0: Reg, arg: PercpuObjArg): void {
  env.markPtr(r0, T.PTR_TO_BTF_ID | MEM_ALLOC | MEM_RCU);
  r0.memSize = arg.btfId;
}

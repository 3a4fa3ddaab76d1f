/**
 * kfunc calls (BPF_PSEUDO_KFUNC_CALL), checked as 6.18's check_kfunc_call does: the callee is
 * found by its BTF id in the target kernel's BTF, its arguments are checked against its BTF
 * prototype (scalars; `__k` constants; memory with a `__sz` size; kernel structs as
 * PTR_TO_BTF_ID, trusted where the flags ask for it), and its flags come from the table below:
 * acquire (r0 carries a new reference the program must release), release (the argument's
 * reference is dropped), ret-null, trusted/RCU arguments, sleepable, destructive.
 *
 * The flags are the kernel's registrations (BTF_ID_FLAGS in kernel/bpf/helpers.c,
 * kernel/bpf/cpumask.c, kernel/trace/bpf_trace.c, net/core/filter.c; Linux 6.18) for the
 * kfuncs programs call most; a kfunc that is not listed is refused as unsupported rather than
 * checked with guessed flags.
 */
import type { Btf, BtfParam, BtfType } from '../loader/btf/index.js';
import type { Env } from './env.js';
import { newRef, type Reg } from './state.js';
import { checkHelperMem, checkPtrOffReg } from './memory.js';
import { markPrecise } from './precision.js';
import { releaseReference } from './calls.js';
import { structIdsMatch } from './btf-access.js';
import { checkRcuProtected, kfuncSections, processSpinLock, pushResLockFailure } from './locks.js';
import { IRQ_LOCK_KFUNC, IRQ_NATIVE_KFUNC, processIrqFlag } from './irq-flags.js';
import { BASE_MASK, MAYBE_NULL, MEM_ALLOC, MEM_RCU, MEM_RDONLY, PTR_TRUSTED, PTR_UNTRUSTED, T, base, typeName } from './reg-types.js';
import { Reject } from './error-kinds.js';
import { REG2BTF_STRUCT, isTrustedReg, unsafeModifiers } from './trusted-reg.js';
import { iterArgType, processIterArg, processIterNextCall, type IterRef } from './iterators.js';
import { checkKfuncDynptrArg, dynptrKfuncNotAllowed, dynptrSliceResult, isDynptrParam, isDynptrSliceKfunc, type KfuncDynptrMeta } from './dynptr.js';
import { btfKindStr, ctxProjection, ctxStructName } from '../loader/btf/func-params.js';
import { checkGraphArg, graphArgKind, graphCallbacks, graphInsert, graphResult, hasGraphResult, type GraphCall } from './graph.js';
import { processThrow } from './exceptions.js';
import { kfuncAllowedFor } from './kfunc-sets.js';
import { ATTACH_TYPES } from '../loader/section-types.js';
import { gplCompatible } from './license.js';
import { isScalarStruct, isScalarType } from './btf-scalar.js';
import { CONNTRACK_KFUNC_FLAGS, TEST_KFUNC_FLAGS } from './kfunc-flags-net.js';
import { checkConstStr } from './const-str.js';
import { asyncObjParam, checkAsyncObjArg, checkAsyncObjMapArg, asyncObjCallback, type AsyncObjCall } from './async-work.js';

/**
 * kfuncs the 6.18 kernel these verdicts come from refuses at the call for every program type
 * bpflab checked against it (xdp, tc; local, skb and xdp dynptrs): "bpf_dynptr_slice_rdwr() is not allowed".
 */
const REFUSED_KFUNCS: ReadonlySet<string> = new Set(['bpf_dynptr_slice_rdwr']);

import {
  KF_ACQUIRE, KF_DESTRUCTIVE, KF_ITER_DESTROY, KF_ITER_NEW, KF_ITER_NEXT, KF_RCU, KF_RCU_PROTECTED, KF_RELEASE, KF_RET_NULL, KF_SLEEPABLE, KF_TRUSTED_ARGS,
} from './kfunc-flag-bits.js';

export { KF_ACQUIRE, KF_DESTRUCTIVE, KF_ITER_DESTROY, KF_ITER_NEW, KF_ITER_NEXT, KF_RCU, KF_RCU_PROTECTED, KF_RELEASE, KF_RET_NULL, KF_SLEEPABLE, KF_TRUSTED_ARGS };

const A = KF_ACQUIRE, R = KF_RELEASE, N = KF_RET_NULL, TA = KF_TRUSTED_ARGS, S = KF_SLEEPABLE, RCU = KF_RCU;
const IN = KF_ITER_NEW, IX = KF_ITER_NEXT | KF_RET_NULL, ID = KF_ITER_DESTROY, RP = KF_RCU_PROTECTED;

/** kfunc name -> flags (Linux 6.18 registrations). */
export const KFUNC_FLAGS: Readonly<Record<string, number>> = {
  // kernel/bpf/helpers.c generic and common sets
  bpf_task_acquire: A | RCU | N,
  bpf_task_release: R,
  bpf_task_from_pid: A | N,
  bpf_task_from_vpid: A | N,
  bpf_cgroup_acquire: A | RCU | N,
  bpf_cgroup_release: R,
  bpf_cgroup_ancestor: A | RCU | N,
  bpf_cgroup_from_id: A | N,
  bpf_task_under_cgroup: RCU,
  bpf_task_get_cgroup1: A | RCU | N,
  bpf_rcu_read_lock: 0,
  bpf_rcu_read_unlock: 0,
  bpf_cast_to_kern_ctx: 0,
  bpf_rdonly_cast: 0,
  bpf_throw: 0,
  // what clang emits for __builtin_trap() (an uninitialized variable's undefined behaviour): never verified
  __bpf_trap: 0,
  bpf_send_signal_task: TA,
  bpf_get_task_exe_file: A | TA | N,
  bpf_put_file: R,
  bpf_path_d_path: TA,
  bpf_local_irq_save: 0,
  bpf_local_irq_restore: 0,
  bpf_preempt_disable: 0,
  bpf_preempt_enable: 0,
  bpf_copy_from_user_str: S,
  bpf_copy_from_user_task_str: S,
  // string kfuncs (helpers.c common set): their string arguments are `__ign`, faults are their return values
  bpf_strcmp: 0, bpf_strcasecmp: 0, bpf_strchr: 0, bpf_strchrnul: 0, bpf_strnchr: 0, bpf_strrchr: 0,
  bpf_strlen: 0, bpf_strnlen: 0, bpf_strspn: 0, bpf_strcspn: 0, bpf_strstr: 0, bpf_strnstr: 0,
  // reads into a dynptr (helpers.c common set); the user-memory copies may fault pages in
  bpf_probe_read_user_dynptr: 0,
  bpf_probe_read_kernel_dynptr: 0,
  bpf_probe_read_user_str_dynptr: 0,
  bpf_probe_read_kernel_str_dynptr: 0,
  bpf_copy_from_user_dynptr: S,
  bpf_copy_from_user_str_dynptr: S,
  bpf_copy_from_user_task_dynptr: S | TA,
  bpf_copy_from_user_task_str_dynptr: S | TA,
  // resilient queued spin locks (helpers.c common set), the irqsave pair with an IRQ flag (irq-flags.ts)
  bpf_res_spin_lock: N,
  bpf_res_spin_unlock: 0,
  bpf_res_spin_lock_irqsave: N,
  bpf_res_spin_unlock_irqrestore: 0,
  // BPF streams (helpers.c common set): bpf_stream_printk's call, a `__str` format in .rodata
  bpf_stream_vprintk_impl: 0,
  // kprobe/uprobe session programs (bpf_trace.c kprobe_multi_kfunc_set_ids)
  bpf_session_is_return: 0,
  bpf_session_cookie: 0,
  // workqueues and task work (async-work.ts)
  bpf_wq_init: 0,
  bpf_wq_set_callback_impl: 0,
  bpf_wq_start: 0,
  bpf_task_work_schedule_signal_impl: TA,
  bpf_task_work_schedule_resume_impl: TA,
  // kernel/bpf/map_iter.c (bpf_map_iter_kfunc_ids: the common hook)
  bpf_map_sum_elem_count: TA,
  // open-coded iterators (kernel/bpf/helpers.c common set, kernel/bpf/task_iter.c, kernel/bpf/slab_iter.c)
  bpf_iter_num_new: IN,
  bpf_iter_num_next: IX,
  bpf_iter_num_destroy: ID,
  bpf_iter_bits_new: IN,
  bpf_iter_bits_next: IX,
  bpf_iter_bits_destroy: ID,
  bpf_iter_task_vma_new: IN | RCU,
  bpf_iter_task_vma_next: IX,
  bpf_iter_task_vma_destroy: ID,
  bpf_iter_css_task_new: IN | TA,
  bpf_iter_css_task_next: IX,
  bpf_iter_css_task_destroy: ID,
  bpf_iter_task_new: IN | TA | RP,
  bpf_iter_task_next: IX,
  bpf_iter_task_destroy: ID,
  bpf_iter_css_new: IN | TA | RP,
  bpf_iter_css_next: IX,
  bpf_iter_css_destroy: ID,
  bpf_iter_kmem_cache_new: IN | S,
  bpf_iter_kmem_cache_next: IX | S,
  bpf_iter_kmem_cache_destroy: ID | S,
  // kernel/bpf/cpumask.c (cpumask_kfunc_btf_ids)
  bpf_cpumask_create: A | N,
  bpf_cpumask_release: R,
  bpf_cpumask_acquire: A | TA,
  bpf_cpumask_first: RCU,
  bpf_cpumask_first_zero: RCU,
  bpf_cpumask_first_and: RCU,
  bpf_cpumask_set_cpu: RCU,
  bpf_cpumask_clear_cpu: RCU,
  bpf_cpumask_test_cpu: RCU,
  bpf_cpumask_test_and_set_cpu: RCU,
  bpf_cpumask_test_and_clear_cpu: RCU,
  bpf_cpumask_setall: RCU,
  bpf_cpumask_clear: RCU,
  bpf_cpumask_and: RCU,
  bpf_cpumask_or: RCU,
  bpf_cpumask_xor: RCU,
  bpf_cpumask_equal: RCU,
  bpf_cpumask_intersects: RCU,
  bpf_cpumask_subset: RCU,
  bpf_cpumask_empty: RCU,
  bpf_cpumask_full: RCU,
  bpf_cpumask_copy: RCU,
  bpf_cpumask_any_distribute: RCU,
  bpf_cpumask_any_and_distribute: RCU,
  bpf_cpumask_weight: RCU,
  bpf_cpumask_populate: RCU,
  // kernel/bpf/crypto.c (crypt_init_kfunc_btf_ids, crypt_kfunc_btf_ids)
  bpf_crypto_ctx_create: A | N | S,
  bpf_crypto_ctx_release: R,
  bpf_crypto_ctx_acquire: A | RCU | N,
  bpf_crypto_decrypt: RCU,
  bpf_crypto_encrypt: RCU,
  // kernel/trace/bpf_trace.c (key_sig_kfunc_set)
  bpf_lookup_user_key: A | N | S,
  bpf_lookup_system_key: A | N,
  bpf_key_put: R,
  bpf_verify_pkcs7_signature: S,
  // dynptrs: kernel/bpf/helpers.c (common set), net/core/filter.c (skb, skb_meta, xdp sets)
  bpf_dynptr_from_skb: TA,
  bpf_dynptr_from_skb_meta: TA,
  bpf_dynptr_from_xdp: 0,
  bpf_dynptr_slice: N,
  bpf_dynptr_slice_rdwr: N,
  bpf_dynptr_adjust: 0,
  bpf_dynptr_is_null: 0,
  bpf_dynptr_is_rdonly: 0,
  bpf_dynptr_size: 0,
  bpf_dynptr_clone: 0,
  bpf_dynptr_copy: 0,
  bpf_dynptr_memset: 0,
  // allocated objects, linked lists and rbtrees (kernel/bpf/helpers.c generic set; graph.ts)
  bpf_obj_new_impl: A | N,
  bpf_percpu_obj_new_impl: A | N,
  bpf_obj_drop_impl: R,
  bpf_percpu_obj_drop_impl: R,
  bpf_refcount_acquire_impl: A | N | RCU,
  bpf_list_push_front_impl: 0,
  bpf_list_push_back_impl: 0,
  bpf_list_pop_front: A | N,
  bpf_list_pop_back: A | N,
  bpf_list_front: N,
  bpf_list_back: N,
  bpf_rbtree_remove: A | N,
  bpf_rbtree_add_impl: 0,
  bpf_rbtree_first: N,
  bpf_rbtree_root: N,
  bpf_rbtree_left: N,
  bpf_rbtree_right: N,
  // kernel/bpf/arena.c (arena_kfuncs; KF_ARENA_* only tag BTF: the verifier does not test them)
  bpf_arena_alloc_pages: TA | S,
  bpf_arena_free_pages: TA | S,
  bpf_arena_reserve_pages: TA | S,
  // congestion-control kfuncs for struct_ops tcp_congestion_ops (net/ipv4/bpf_tcp_ca.c, tcp_cubic.c, tcp_bbr.c, tcp_dctcp.c)
  tcp_reno_ssthresh: 0, tcp_reno_cong_avoid: 0, tcp_reno_undo_cwnd: 0, tcp_slow_start: 0, tcp_cong_avoid_ai: 0,
  cubictcp_init: 0, cubictcp_recalc_ssthresh: 0, cubictcp_cong_avoid: 0, cubictcp_state: 0, cubictcp_cwnd_event: 0, cubictcp_acked: 0,
  bbr_init: 0, bbr_main: 0, bbr_sndbuf_expand: 0, bbr_undo_cwnd: 0, bbr_cwnd_event: 0, bbr_ssthresh: 0, bbr_min_tso_segs: 0, bbr_set_state: 0,
  dctcp_init: 0, dctcp_update_alpha: 0, dctcp_cwnd_event: 0, dctcp_ssthresh: 0, dctcp_cwnd_undo: 0, dctcp_state: 0,
  // net/core/filter.c, net/netfilter
  bpf_xdp_flow_lookup: 0,
  bpf_sock_destroy: TA,
  bpf_sk_assign_tcp_reqsk: TA,
  // bpf_kfunc_check_set_sock_addr: no flags (the kfunc checks the address family itself)
  bpf_sock_addr_set_sun_path: 0,
  ...CONNTRACK_KFUNC_FLAGS,
  ...TEST_KFUNC_FLAGS,
};

/** An iterator's `_next` kfunc (a forced checkpoint). */
export const isIterNextKfunc = (name: string): boolean => ((KFUNC_FLAGS[name] ?? 0) & KF_ITER_NEXT) !== 0;

/** get_call_summary for a kfunc: its name, btf_type_vlen of its prototype and whether it returns void. */
export function kfuncSummary(btf: Btf, id: number): { name: string; numParams: number; isVoid: boolean } | undefined {
  const p = kfuncProto(btf, id);
  return p && { name: p.name, numParams: p.params.length, isVoid: p.ret === 0 };
}

/**
 * add_kfunc_call's checks, which the kernel makes for every kfunc call of the program up front,
 * reached or not: the kernel's message, or undefined when the id names a function with a prototype.
 */
export function kfuncBtfProblem(btf: Btf, id: number): string | undefined {
  const fn = btf.type(id);
  if (!fn || fn.kind !== 'func') return `kernel btf_id ${id} is not a function`;
  const fp = btf.skipMods(fn.type);
  if (!fp || fp.kind !== 'func_proto') return `kernel function btf_id ${id} does not have a valid func_proto`;
  // bpf_dev_bound_kfunc_check: bpflab's programs are never bound to a device (BPF_F_XDP_DEV_BOUND_ONLY, prog_ifindex)
  if (DEV_BOUND_KFUNCS.has(fn.name)) return 'metadata kfuncs require device-bound program';
  return undefined;
}

/** bpf_dev_bound_kfunc_id: the XDP RX metadata kfuncs (XDP_METADATA_KFUNC_xxx), which a driver implements. */
const DEV_BOUND_KFUNCS: ReadonlySet<string> = new Set(['bpf_xdp_metadata_rx_timestamp', 'bpf_xdp_metadata_rx_hash', 'bpf_xdp_metadata_rx_vlan_tag']);

/** The kfunc's FUNC and prototype in the target BTF. */
function kfuncProto(btf: Btf, id: number): { name: string; params: BtfParam[]; ret: number } | undefined {
  const fn = btf.type(id);
  if (!fn || fn.kind !== 'func') return undefined;
  const fp = btf.skipMods(fn.type);
  if (!fp || fp.kind !== 'func_proto') return undefined;
  return { name: fn.name, params: fp.params, ret: fp.type };
}

const isStruct = (t: BtfType | undefined): t is Extract<BtfType, { kind: 'struct' | 'union' }> => !!t && (t.kind === 'struct' || t.kind === 'union');

/** bpf_core_essential_name_len: a type name without its `___flavour` suffix (btf_type_ids_nocast_alias compares these). */
const essentialName = (name: string): string => { const i = name.lastIndexOf('___'); return i > 0 ? name.slice(0, i) : name; };


/** The kernel struct a PTR_TO_BTF_ID (or reg2btf_ids) register points to: its BTF id and name. */
function regStruct(btf: Btf, r: Reg): { id: number; name: string } | undefined {
  if (base(r.type) === T.PTR_TO_BTF_ID) {
    const t = btf.skipMods(r.memSize);
    return { id: r.memSize, name: t?.name ?? '?' };
  }
  const name = REG2BTF_STRUCT[base(r.type)];
  const t = name === undefined ? undefined : btf.find(name, 'struct')[0];
  return name === undefined ? undefined : { id: t?.id ?? 0, name };
}

/** check_css_task_iter_allowlist: LSM programs, bpf_iter programs, and any sleepable program. */
function cssTaskIterAllowed(env: Env): boolean {
  if (env.prog.type === 'lsm') return true;
  if (env.prog.type === 'tracing' && env.prog.expectedAttachType === ATTACH_TYPES.trace_iter) return true;
  return env.sleepable;
}

/** check_kfunc_call. Returns true when the call ends the path (bpf_throw: an exception exit). */
export function checkKfuncCall(env: Env, btfId: number, off: number): boolean {
  // A call with id 0 is left for fixup_kfunc_call, after every path: no effect on the state here.
  if (btfId === 0 && off === 0) {
    if (env.zeroKfuncCall < 0) env.zeroKfuncCall = env.pc;
    return false;
  }
  if (off !== 0) env.reject('unsupported', 'kfuncs of kernel modules (insn->off != 0) are not modelled by bpflab');
  const btf = env.kernelBtf();
  const kf = kfuncProto(btf, btfId);
  if (!kf) env.reject('helper_unknown', `kernel btf_id ${btfId} is not a function`);
  // fetch_kfunc_meta: the kfunc must be registered for this program's hook.
  if (!kfuncAllowedFor(kf.name, env.prog.type, env.prog.expectedAttachType)) env.reject('helper_prog_type', `calling kernel function ${kf.name} is not allowed`);
  const flags = KFUNC_FLAGS[kf.name];
  if (flags === undefined) env.reject('unsupported', `bpflab does not know the flags of kfunc ${kf.name} (see src/verifier/kfuncs.ts)`);
  if (kf.name === '__bpf_trap') env.reject('bpf_trap', 'unexpected __bpf_trap() due to uninitialized variable?');
  if (flags & KF_SLEEPABLE && !env.sleepable) env.reject('helper_prog_type', `program must be sleepable to call sleepable kfunc ${kf.name}`);
  if (flags & KF_RCU_PROTECTED) checkRcuProtected(env, kf.name);
  const notAllowed = dynptrKfuncNotAllowed(env, kf.name);
  if (notAllowed) env.reject('helper_prog_type', notAllowed);
  if (!gplCompatible(env.prog.license))
    env.reject('helper_gpl', 'cannot call kernel function from non-GPL compatible program');

  // The failed acquisition, queued before the argument takes the lock (locks.ts).
  const resLock = kf.name === 'bpf_res_spin_lock' || kf.name === 'bpf_res_spin_lock_irqsave';
  if (resLock) pushResLockFailure(env);

  let releaseRef = 0;
  let iter: IterRef | undefined;
  const dyn: KfuncDynptrMeta = {};
  const graph: GraphCall = {};
  const asyncObj: AsyncObjCall = { map: -1 };
  const ctxStruct = ctxStructName(env.prog.type);
  for (let i = 0; i < kf.params.length; i++) {
    const regno = i + 1;
    const p = kf.params[i]!;
    // is_kfunc_arg_ignore, and the `__prog` argument the verifier fills in itself (bpf_prog_aux)
    if (p.name.endsWith('__ign') || p.name.endsWith('__prog')) continue;
    const r = env.readReg(regno);
    if (kf.name === 'bpf_cast_to_kern_ctx' && i === 0) {
      // KF_ARG_PTR_TO_CTX whatever the BTF says (void *): the program's own ctx, cast to the kernel's struct
      if (r.type !== T.PTR_TO_CTX) env.reject('helper_arg', `arg#0 expected pointer to ctx, but got ${typeName(r.type)}`);
      continue;
    }
    const pt = btf.skipMods(p.type);
    if (pt?.kind === 'ptr') {
      // get_kfunc_ptr_arg_type: a NULL `__nullable` pointer (not to the ctx) is KF_ARG_PTR_TO_NULL, whatever it points to
      const ptee = btf.skipMods(pt.type);
      if (p.name.endsWith('__nullable') && env.isNull(r) && !(isStruct(ptee) && ptee.name === ctxStruct)) continue;
      // check_kfunc_args on this kernel: every kfunc's pointer arguments are trusted (KF_TRUSTED_ARGS is the
      // default), so none takes NULL unless it is `__nullable` or an optional `__opt` buffer
      if ((env.isNull(r) || r.type & MAYBE_NULL) && !p.name.endsWith('__nullable') && !p.name.endsWith('__opt'))
        env.reject('null_pointer', `Possibly NULL pointer passed to trusted arg${i}`);
    }
    // is_kfunc_arg_iter: the first argument of the iterator kfuncs, or one named `__iter`.
    if ((i === 0 && flags & (KF_ITER_NEW | KF_ITER_NEXT | KF_ITER_DESTROY)) || p.name.endsWith('__iter')) {
      const it = iterArgType(btf, p);
      if (!it) env.reject('helper_arg', `expected valid iter pointer as arg #${i}`);
      // check_css_task_iter_allowlist: walking a css's tasks takes css_set_lock, which only LSM,
      // bpf_iter and sleepable programs may hold there.
      if (kf.name === 'bpf_iter_css_task_new' && !cssTaskIterAllowed(env))
        env.reject('helper_prog_type', 'css_task_iter is only allowed in bpf_lsm, bpf_iter and sleepable progs');
      const kind = flags & KF_ITER_NEW ? 'new' : flags & KF_ITER_NEXT ? 'next' : flags & KF_ITER_DESTROY ? 'destroy' : 'other';
      iter = processIterArg(env, regno, it, i === 0 ? kind : 'other', (flags & KF_RCU_PROTECTED) !== 0, kf.name);
      continue;
    }
    if (isDynptrParam(btf, p)) {
      checkKfuncDynptrArg(env, kf.name, regno, p, dyn);
      continue;
    }
    // KF_ARG_PTR_TO_CONST_STR (is_kfunc_arg_const_str): a NUL-terminated string in a frozen read-only map
    if (p.name.endsWith('__str')) {
      if (r.type !== T.PTR_TO_MAP_VALUE) env.reject('helper_arg', `arg#${i} doesn't point to a const string`);
      checkConstStr(env, regno);
      continue;
    }
    // KF_ARG_PTR_TO_RES_SPIN_LOCK: the lock of a map value or an allocated object (process_spin_lock)
    if (isResLockParam(btf, p)) {
      if (r.type !== T.PTR_TO_MAP_VALUE && r.type !== (T.PTR_TO_BTF_ID | MEM_ALLOC))
        env.reject('helper_arg', `arg#${i} doesn't point to map value or allocated object`);
      processSpinLock(env, regno, resLock, true, kf.name.endsWith('_irqsave') || kf.name.endsWith('_irqrestore'));
      continue;
    }
    const asyncKind = asyncObjParam(btf, p);
    if (asyncKind) {
      checkAsyncObjArg(env, i, asyncKind, asyncObj);
      continue;
    }
    const graphKind = graphArgKind(btf, p);
    if (graphKind) {
      const rel = checkGraphArg(env, kf.name, i, graphKind, (flags & (KF_TRUSTED_ARGS | KF_RELEASE)) !== 0, (flags & KF_RCU) !== 0, (flags & KF_RELEASE) !== 0, graph);
      if (rel) releaseRef = rel;
      continue;
    }
    const t = btf.skipMods(p.type);
    if (!t || t.kind === 'int' || t.kind === 'enum' || t.kind === 'enum64') {
      if (r.type !== T.SCALAR) env.reject('helper_arg', `R${regno} is not a scalar`);
      if (p.name.endsWith('__k')) {
        if (!env.dom.isConst(r.v)) env.reject('helper_arg', `R${regno} must be a known constant`);
        markPrecise(env, 1 << regno);
      }
      continue;
    }
    if (t.kind !== 'ptr') env.reject('unsupported', `kfunc ${kf.name} argument ${i} of kind ${t.kind} is not modelled by bpflab`);
    const pointee = btf.skipMods(t.type);
    // KF_ARG_PTR_TO_IRQ_FLAG: bpf_local_irq_save/restore's flag (native), the resilient lock's (lock)
    if (p.name.endsWith('__irq_flag')) {
      const save = kf.name === 'bpf_local_irq_save' || kf.name === 'bpf_res_spin_lock_irqsave';
      processIrqFlag(env, i, save, kf.name.startsWith('bpf_local_irq_') ? IRQ_NATIVE_KFUNC : IRQ_LOCK_KFUNC);
      continue;
    }
    const nullable = p.name.endsWith('__nullable');
    // check_kfunc_args: trusted, release and RCU kfuncs take no NULL unless the argument is `__nullable`.
    const needTrusted = (flags & (KF_TRUSTED_ARGS | KF_RELEASE)) !== 0;
    if ((needTrusted || flags & KF_RCU) && (env.isNull(r) || r.type & MAYBE_NULL) && !nullable)
      env.reject('null_pointer', `Possibly NULL pointer passed to trusted arg${i}`);
    if (isStruct(pointee) && ctxStruct !== undefined && pointee.name === ctxStruct) {
      // KF_ARG_PTR_TO_CTX (btf_is_prog_ctx_type): the program's own, unmodified context.
      if (r.type !== T.PTR_TO_CTX) env.reject('helper_arg', `arg#${i} expected pointer to ctx, but got ${typeName(r.type)}`);
      checkPtrOffReg(env, regno, r);
      continue;
    }
    if (nullable && env.isNull(r)) continue;
    // KF_ARG_PTR_TO_MAP (is_kfunc_arg_map, a `__map` argument): a map pointer, checked as a
    // `struct bpf_map` object (process_kf_arg_ptr_to_btf_id) at offset 0.
    if (p.name.endsWith('__map')) {
      checkAsyncObjMapArg(env, regno, asyncObj);
      // A kernel `struct bpf_map` pointer (an iterator's map) does too; no trusted-argument rule here.
      if (r.type !== T.CONST_PTR_TO_MAP) {
        const have = regStruct(btf, r);
        if (!have || (base(r.type) === T.PTR_TO_BTF_ID && unsafeModifiers(r.type) && !(r.type & MEM_RCU)))
          env.reject('helper_arg', `arg#${i} is ${typeName(r.type)} expected ${typeName(T.PTR_TO_BTF_ID | (r.type & PTR_TRUSTED))} or socket`);
        if (!structIdsMatch(btf, have.id, r.off, 'bpf_map'))
          env.reject('helper_arg', `kernel function ${kf.name} args#${i} expected pointer to STRUCT bpf_map but R${regno} has a pointer to STRUCT ${have.name}`);
      }
      checkPtrOffReg(env, regno, r);
      continue;
    }
    // get_kfunc_ptr_arg_type: the register decides between a kernel object and memory.
    const have = regStruct(btf, r);
    if (have) {
      // KF_ARG_PTR_TO_BTF_ID: trusted (or RCU for KF_RCU) where the flags say so; release needs the reference.
      if (!isStruct(pointee))
        env.reject('helper_arg', `kernel function ${kf.name} args#${i} pointer type ${btfKindStr(pointee)} ${pointee?.name ?? ''} is not supported`);
      if ((needTrusted || flags & KF_RCU) && !isTrustedReg(r)) {
        if (!(flags & KF_RCU)) env.reject('helper_arg', `R${regno} must be referenced or trusted`);
        if (!(r.type & MEM_RCU)) env.reject('helper_arg', `R${regno} must be a rcu pointer`);
      }
      // check_func_arg_reg_off: a fixed offset only into an object that is not being released.
      const releasing = (flags & KF_RELEASE) !== 0 && r.refObjId !== 0;
      if (releasing && r.off) env.reject('helper_arg', `R${regno} must have zero offset when passed to release func or trusted arg to kfunc`);
      checkPtrOffReg(env, regno, r, !releasing);
      if (base(r.type) === T.PTR_TO_BTF_ID && unsafeModifiers(r.type) && !(r.type & MEM_RCU))
        env.reject('helper_arg', `arg#${i} is ${typeName(r.type)} expected ${typeName(T.PTR_TO_BTF_ID | (r.type & PTR_TRUSTED))} or socket`);
      // process_kf_arg_ptr_to_btf_id: the object itself when it is released, else also a struct nested at
      // offset 0 (btf_struct_ids_match), or the kernel struct a context struct projects (__sk_buff / sk_buff).
      const projection = r.off === 0 && ctxProjection(pointee.name) === have.name;
      // strict (no walk into a member at offset 0) when releasing, or for no-cast aliases (nf_conn / nf_conn___init)
      const strict = releasing || essentialName(have.name) === essentialName(pointee.name ?? '');
      const matches = strict && r.off === 0 ? have.name === pointee.name : structIdsMatch(btf, have.id, r.off, pointee.name);
      if (!projection && !matches)
        env.reject('helper_arg', `kernel function ${kf.name} args#${i} expected pointer to STRUCT ${pointee.name} but R${regno} has a pointer to STRUCT ${have.name}`);
      if (flags & KF_RELEASE && i === 0) {
        if (!r.refObjId) env.reject('reference_invalid', `release kernel function ${kf.name} expects refcounted PTR_TO_BTF_ID`);
        releaseRef = r.refObjId;
      }
      continue;
    }
    // Memory: sized by the next `__sz` argument (is_kfunc_arg_mem_size: a scalar register), else by the pointee type;
    // memory of scalars or of a struct of scalars only.
    const next = kf.params[i + 1];
    const sizeParam = next && (next.name.endsWith('__sz') || next.name.endsWith('__szk')) && isScalarType(btf.skipMods(next.type))
      && env.reg(regno + 1).type === T.SCALAR ? next : undefined;
    if (!isScalarType(pointee) && !isScalarStruct(env, btf, pointee, 0) && (sizeParam ? pointee?.kind !== 'void' : true))
      env.reject('helper_arg', `arg#${i} pointer type ${btfKindStr(pointee)} ${pointee?.name ?? ''} must point to ${sizeParam ? 'void, ' : ''}scalar, or struct with scalar`);
    if (sizeParam) {
      const sz = env.reg(regno + 1);
      // An `__opt` buffer may be NULL; otherwise it must be readable and writable for the size (check_kfunc_mem_size_reg).
      // (a NULL one is marked precise: a path passing another scalar must not be pruned into this one)
      if (p.name.endsWith('__opt') && env.isNull(r)) markPrecise(env, 1 << regno);
      else {
        // check_kfunc_args: whatever check_kfunc_mem_size_reg refuses gets the pair named after it
        try {
          const d = env.dom;
          if (d.smin(sz.v) < 0n) env.reject('helper_arg', `R${regno + 1} min value is negative, either use unsigned or 'var &= const'`);
          if (d.umax(sz.v) >= 1n << 29n) env.reject('helper_arg', `R${regno + 1} unbounded memory access, use 'var &= const' or 'if (var < const)'`);
          checkHelperMem(env, regno, Number(d.umax(sz.v)), true, false, false);
          checkHelperMem(env, regno, Number(d.umax(sz.v)), true, true, false);
        } catch (e) {
          if (!(e instanceof Reject)) throw e;
          throw new Reject(e.pc, e.kind, e.message, [...e.after, `arg#${i} arg#${i + 1} memory, len pair leads to invalid memory access`]);
        }
      }
      if (sizeParam.name.endsWith('__szk')) {
        // is_kfunc_arg_const_mem_size: the size is a constant (a slice's size)
        const c = env.dom.constValue(sz.v);
        if (c === undefined) env.reject('helper_arg', `R${regno + 1} must be a known constant`);
        markPrecise(env, 1 << (regno + 1));
        dyn.constSize = Number(c);
      }
      i++;
      continue;
    }
    // A kfunc with trusted arguments (KF_TRUSTED_ARGS, or a release kfunc) takes no untrusted memory for
    // a struct-of-scalars argument either: Linux 6.18 refuses a stack, map value or scalar passed to
    // bpf_cpumask_acquire/release before looking at the memory (found by the /tmp/h14p probe; the RCU
    // kfuncs such as bpf_cpumask_set_cpu still take stack memory).
    if (needTrusted && !isTrustedReg(r)) env.reject('helper_arg', `R${regno} must be referenced or trusted`);
    const size = !pointee || pointee.kind === 'void' ? undefined : btf.resolveSize(pointee.id);
    if (size === undefined) env.reject('helper_arg', `arg#${i} reference type('${btfKindStr(pointee)} ${pointee?.name ?? ''}') size cannot be determined: -22`);
    // check_mem_reg: NULL is accepted (the kfunc checks it; precise, as above), else the memory is read and written.
    if (env.isNull(r)) markPrecise(env, 1 << regno);
    else {
      checkHelperMem(env, regno, size, true, false, false);
      checkHelperMem(env, regno, size, true, true, false);
    }
  }
  // (refused once its arguments are checked: a bad constant size is reported first)
  if (REFUSED_KFUNCS.has(kf.name)) env.reject('helper_prog_type', `${kf.name}() is not allowed`);
  graphCallbacks(env, kf.name, graph);
  asyncObjCallback(env, kf.name, btfId, graph.subprog, asyncObj);
  kfuncSections(env, kf.name, (flags & KF_SLEEPABLE) !== 0);
  if (releaseRef) releaseReference(env, releaseRef);
  graphInsert(env, kf.name, (id) => releaseReference(env, id));
  if (kf.name === 'bpf_throw') { processThrow(env); return true; }

  // bpf_rdonly_cast's type id (a constant, `btf_id__k`), read before the call clobbers r1-r5
  const castId = kf.name === 'bpf_rdonly_cast' ? env.dom.constValue(env.reg(2).v) : undefined;
  // bpf_obj_new_impl's local type id (`local_type_id__k`)
  const localTypeId = kf.name === 'bpf_obj_new_impl' || kf.name === 'bpf_percpu_obj_new_impl' ? env.dom.constValue(env.reg(1).v) : undefined;
  for (let r = 0; r <= 5; r++) { env.markNotInit(env.reg(r)); env.scratched |= 1 << r; }
  const r0 = env.reg(0);
  const rt = btf.skipMods(kf.ret);
  const iterNext = flags & KF_ITER_NEXT ? iter : undefined;
  if (kf.name === 'bpf_cast_to_kern_ctx' || kf.name === 'bpf_rdonly_cast') {
    castResult(env, btf, kf.name, r0, castId);
  } else if (isDynptrSliceKfunc(kf.name)) {
    dynptrSliceResult(env, kf.name, dyn);
  } else if (hasGraphResult(kf.name)) {
    graphResult(env, kf.name, graph, localTypeId, (flags & KF_RET_NULL) !== 0, () => {
      if (!(flags & KF_ACQUIRE)) return 0;
      const refId = env.newId();
      env.cur.refs.push(newRef(refId, env.pc));
      return refId;
    });
  } else if (!rt || rt.kind === 'void') {
    // nothing in r0
  } else if (rt.kind !== 'ptr') env.markUnknown(r0);
  else {
    const pointee = btf.skipMods(rt.type);
    if (!pointee || pointee.kind === 'void') {
      // check_kfunc_call: "kfunc returning 'void *' is equivalent to returning scalar" (bpf_arena_alloc_pages)
      env.markUnknown(r0);
    } else if (!isStruct(pointee)) {
      // A pointer to read-only memory of the pointee's size, as mark_reg_known_zero + PTR_TO_MEM
      // (check_kfunc_call's meta.r0_rdonly); bpf_session_cookie's u64 is the program's to write.
      const rdonly = WRITABLE_RESULT.has(kf.name) ? 0 : MEM_RDONLY;
      env.markPtr(r0, T.PTR_TO_MEM | rdonly | (flags & KF_RET_NULL ? MAYBE_NULL : 0));
      r0.memSize = btf.resolveSize(pointee.id) ?? 0;
      if (flags & KF_RET_NULL) r0.id = env.newId();
      // An iterator's element goes away with the iterator (meta->ref_obj_id: release_reference invalidates it).
      if (iter) r0.refObjId = env.cur.frames[iter.frameno]!.spills[iter.slot]?.refObjId ?? 0;
    } else {
      // An iterator's element is RCU-protected when the iterator is, else trusted. An acquired
      // object gets no flag (check_kfunc_call: plain PTR_TO_BTF_ID, "ptr_or_null_" in the log):
      // its reference makes it trusted (is_trusted_reg).
      const iterRcu = iterNext && env.cur.frames[iterNext.frameno]!.spills[iterNext.slot]!.type & MEM_RCU;
      const trust = UNTRUSTED_RESULT.has(kf.name) ? PTR_UNTRUSTED : iterNext ? (iterRcu ? MEM_RCU : PTR_TRUSTED) : 0;
      env.markPtr(r0, T.PTR_TO_BTF_ID | trust | (flags & KF_RET_NULL ? MAYBE_NULL : 0));
      r0.memSize = pointee.id;
      if (flags & KF_RET_NULL) r0.id = env.newId();
      if (flags & KF_ACQUIRE) {
        const refId = env.newId();
        env.cur.refs.push(newRef(refId, env.pc));
        r0.id = refId;
        r0.refObjId = refId;
      }
    }
  }
  if (iterNext) processIterNextCall(env, iterNext);
  // the path on which the resilient lock was taken: r0 = 0 (the failure was queued before the arguments)
  if (resLock) env.markKnown(r0, 0n);
  return false;
}

/** A `struct bpf_res_spin_lock *` argument (is_kfunc_arg_res_spin_lock). */
function isResLockParam(btf: Btf, p: BtfParam): boolean {
  const t = btf.skipMods(p.type);
  if (t?.kind !== 'ptr') return false;
  const pointee = btf.skipMods(t.type);
  return pointee?.kind === 'struct' && pointee.name === 'bpf_res_spin_lock';
}

/**
 * Kfuncs whose struct result check_kfunc_call marks PTR_UNTRUSTED by name (special_kfunc_list).
 * The running 6.18 kernel hands out task_vma's elements so: since the iterator stopped holding
 * mmap_lock, a vma may change under the program.
 */
const UNTRUSTED_RESULT: ReadonlySet<string> = new Set(['bpf_iter_task_vma_next']);

/** Kfuncs whose memory result check_kfunc_call leaves writable (meta.r0_rdonly = false). */
const WRITABLE_RESULT: ReadonlySet<string> = new Set(['bpf_session_cookie']);

/**
 * r0 of the two casting kfuncs, which check_kfunc_call special-cases: bpf_cast_to_kern_ctx gives a
 * trusted pointer to the kernel's context struct of the program type (get_kern_ctx_btf_id: the
 * `BPF_PROG_TYPE_<T>_kern` member of struct bpf_ctx_convert), bpf_rdonly_cast an untrusted pointer
 * to the kernel struct whose BTF id its second argument holds (or read-only memory for void).
 */
/** The kernel context type found last for bpf_cast_to_kern_ctx, by BTF and program type (the fuzzer calls it in most programs). */
let kernCtx: { btf: Btf; type: string; memberType: number | undefined } | null = null;

/**
 * The BTF id of the kernel's context type for a program type: bpf_ctx_convert's
 * `BPF_PROG_TYPE_<TYPE>_kern` member, taken as it is (get_kern_ctx_btf_id skips no typedef).
 */
function kernCtxTypeId(btf: Btf, type: string): number | undefined {
  if (kernCtx?.btf === btf && kernCtx.type === type) return kernCtx.memberType;
  const conv = btf.find('bpf_ctx_convert', 'struct')[0];
  const member = conv?.kind === 'struct' ? conv.members.find((m) => m.name === `BPF_PROG_TYPE_${type.toUpperCase()}_kern`) : undefined;
  kernCtx = { btf, type, memberType: member?.type };
  return member?.type;
}

function castResult(env: Env, btf: Btf, name: string, r0: Reg, id: bigint | undefined): void {
  if (name === 'bpf_cast_to_kern_ctx') {
    const kid = kernCtxTypeId(btf, env.prog.type);
    if (kid === undefined) env.reject('helper_arg', `bpf_cast_to_kern_ctx: the kernel has no context struct for ${env.prog.type} programs`);
    // get_kern_ctx_btf_id: tracepoints and raw tracepoints get a u64, tracing and syscall programs
    // a void *: no struct to cast to (btf_type_is_struct, a union counting as one)
    const kern = btf.type(kid);
    if (kern?.kind !== 'struct' && kern?.kind !== 'union') env.reject('helper_arg', `kern ctx type id ${kid} is not a struct`);
    env.markPtr(r0, T.PTR_TO_BTF_ID | PTR_TRUSTED);
    r0.memSize = kern.id;
    return;
  }
  const t = id === undefined ? undefined : btf.type(Number(id));
  if (!t) env.reject('helper_arg', `Unknown type ID ${id ?? '?'} passed to kfunc bpf_rdonly_cast`);
  // btf_type_is_struct: a union is one too
  if (t.kind === 'struct' || t.kind === 'union') {
    env.markPtr(r0, T.PTR_TO_BTF_ID | PTR_UNTRUSTED);
    r0.memSize = t.id;
  } else if (t.kind === 'void') {
    env.markPtr(r0, T.PTR_TO_MEM | MEM_RDONLY | PTR_UNTRUSTED);
    r0.memSize = 0;
  } else env.reject('helper_arg', 'kfunc bpf_rdonly_cast type ID argument must be of a struct or void');
}

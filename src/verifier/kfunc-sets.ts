/**
 * Which program types may call a kfunc (btf_kfunc_id_set_contains): kfuncs are registered in sets
 * per hook (register_btf_kfunc_id_set), a program type maps to one hook
 * (bpf_prog_type_to_kfunc_hook), and a set may carry a filter that refuses some of its kfuncs for
 * some programs of the hook. The common set (BTF_KFUNC_HOOK_COMMON) is open to every program;
 * only the kfuncs of the narrower sets below are checked (Linux 6.18 registrations:
 * kernel/bpf/helpers.c, kernel/bpf/cpumask.c, fs/bpf_fs_kfuncs.c, net/core/filter.c,
 * net/netfilter/nf_conntrack_bpf.c, net/bpf/test_run.c; checked
 * against the running kernel: test/verifier/kfunc-sets.test.ts).
 */
import type { ProgType } from '../isa/program.js';
import { CONNTRACK_KFUNC_FLAGS, TEST_KFUNC_FLAGS } from './kfunc-flags-net.js';

type Hook = 'tracing' | 'tc' | 'xdp' | 'struct_ops' | 'syscall' | 'cgroup' | 'sched_act' | 'sk_skb' | 'socket_filter' | 'lwt' | 'netfilter' | 'kprobe';

/** bpf_prog_type_to_kfunc_hook (program types not listed have no hook of their own). */
const HOOK: Partial<Record<ProgType, Hook>> = {
  xdp: 'xdp', sched_cls: 'tc', struct_ops: 'struct_ops', syscall: 'syscall',
  tracing: 'tracing', tracepoint: 'tracing', perf_event: 'tracing', lsm: 'tracing',
  cgroup_skb: 'cgroup', cgroup_sock: 'cgroup', cgroup_device: 'cgroup', cgroup_sock_addr: 'cgroup', cgroup_sockopt: 'cgroup', cgroup_sysctl: 'cgroup', sock_ops: 'cgroup',
  sched_act: 'sched_act', sk_skb: 'sk_skb', socket_filter: 'socket_filter',
  lwt_in: 'lwt', lwt_out: 'lwt', lwt_xmit: 'lwt', lwt_seg6local: 'lwt', netfilter: 'netfilter', kprobe: 'kprobe',
};

interface KfuncSet {
  hooks: readonly Hook[];
  /** The set's filter: whether a program of one of the hooks may call the set's kfuncs. */
  filter?: (type: ProgType, expectedAttachType: number | undefined) => boolean;
}

const BPF_TRACE_ITER = 28;
const BPF_TRACE_KPROBE_SESSION = 56;
const BPF_TRACE_UPROBE_SESSION = 57;

const GENERIC: KfuncSet = { hooks: ['tracing', 'tc', 'xdp', 'struct_ops', 'syscall', 'cgroup'] };
const CPUMASK: KfuncSet = { hooks: ['tracing', 'struct_ops', 'syscall'] };
/** bpf_fs_kfuncs_filter: LSM programs only. */
const FS: KfuncSet = { hooks: ['tracing'], filter: (type) => type === 'lsm' };
/** tracing_iter_filter: BPF iterators only. */
const SK_ITER: KfuncSet = { hooks: ['tracing'], filter: (_t, eat) => eat === BPF_TRACE_ITER };
/** Congestion-control kfuncs: registered for BPF_PROG_TYPE_STRUCT_OPS only. */
const TCP_CA: KfuncSet = { hooks: ['struct_ops'] };
/** bpf_kfunc_set_tcp_reqsk: registered for BPF_PROG_TYPE_SCHED_CLS only. */
const TCP_REQSK: KfuncSet = { hooks: ['tc'] };
/** bpf_kfunc_set_sock_addr: registered for BPF_PROG_TYPE_CGROUP_SOCK_ADDR, whose hook is the cgroup one. */
const SOCK_ADDR: KfuncSet = { hooks: ['cgroup'] };
/** nf_conntrack_kfunc_set / nf_nat_kfunc_set: registered for XDP and SCHED_CLS. */
const CONNTRACK: KfuncSet = { hooks: ['xdp', 'tc'] };
/** bpf_kprobe_multi_kfunc_set (bpf_trace.c): kprobe programs, and of them only session ones (bpf_kprobe_multi_filter). */
const SESSION: KfuncSet = { hooks: ['kprobe'], filter: (_t, eat) => eat === BPF_TRACE_KPROBE_SESSION || eat === BPF_TRACE_UPROBE_SESSION };
/** bpf_prog_test_kfunc_set (net/bpf/test_run.c). */
const TEST_RUN: KfuncSet = { hooks: ['tc', 'tracing', 'syscall', 'struct_ops'] };
const setOf = (names: object, set: KfuncSet): Record<string, KfuncSet> => Object.fromEntries(Object.keys(names).map((n) => [n, set]));

// A Map: the object literal, with its spreads, is a dictionary-mode object whose keyed lookups
// cost 150-250 ns each, and every kfunc call the verifier explores asks.
const SETS: ReadonlyMap<string, KfuncSet> = new Map(Object.entries({
  // generic_btf_ids (helpers.c)
  crash_kexec: GENERIC, bpf_obj_new_impl: GENERIC, bpf_percpu_obj_new_impl: GENERIC, bpf_obj_drop_impl: GENERIC,
  bpf_percpu_obj_drop_impl: GENERIC, bpf_refcount_acquire_impl: GENERIC, bpf_list_push_front_impl: GENERIC,
  bpf_list_push_back_impl: GENERIC, bpf_list_pop_front: GENERIC, bpf_list_pop_back: GENERIC, bpf_list_front: GENERIC,
  bpf_list_back: GENERIC, bpf_task_acquire: GENERIC, bpf_task_release: GENERIC, bpf_rbtree_remove: GENERIC,
  bpf_rbtree_add_impl: GENERIC, bpf_rbtree_first: GENERIC, bpf_rbtree_root: GENERIC, bpf_rbtree_left: GENERIC,
  bpf_rbtree_right: GENERIC, bpf_cgroup_acquire: GENERIC, bpf_cgroup_release: GENERIC, bpf_cgroup_ancestor: GENERIC,
  bpf_cgroup_from_id: GENERIC, bpf_task_under_cgroup: GENERIC, bpf_task_get_cgroup1: GENERIC, bpf_task_from_pid: GENERIC,
  bpf_task_from_vpid: GENERIC, bpf_throw: GENERIC, bpf_send_signal_task: GENERIC,
  // the key kfuncs (bpf_verify_pkcs7_signature is registered apart: not modelled, taken as allowed)
  bpf_lookup_user_key: GENERIC, bpf_lookup_system_key: GENERIC, bpf_key_put: GENERIC,
  // bpf_fs_kfunc_set_ids
  bpf_get_task_exe_file: FS, bpf_put_file: FS, bpf_path_d_path: FS,
  // bpf_sk_iter_kfunc_ids (filter.c)
  bpf_sock_destroy: SK_ITER,
  // bpf_tcp_ca_check_kfunc_ids, tcp_cubic/bbr/dctcp_check_kfunc_ids
  tcp_reno_ssthresh: TCP_CA, tcp_reno_cong_avoid: TCP_CA, tcp_reno_undo_cwnd: TCP_CA, tcp_slow_start: TCP_CA, tcp_cong_avoid_ai: TCP_CA,
  cubictcp_init: TCP_CA, cubictcp_recalc_ssthresh: TCP_CA, cubictcp_cong_avoid: TCP_CA, cubictcp_state: TCP_CA, cubictcp_cwnd_event: TCP_CA, cubictcp_acked: TCP_CA,
  bbr_init: TCP_CA, bbr_main: TCP_CA, bbr_sndbuf_expand: TCP_CA, bbr_undo_cwnd: TCP_CA, bbr_cwnd_event: TCP_CA, bbr_ssthresh: TCP_CA, bbr_min_tso_segs: TCP_CA, bbr_set_state: TCP_CA,
  dctcp_init: TCP_CA, dctcp_update_alpha: TCP_CA, dctcp_cwnd_event: TCP_CA, dctcp_ssthresh: TCP_CA, dctcp_cwnd_undo: TCP_CA, dctcp_state: TCP_CA,
  // kprobe_multi_kfunc_set_ids (bpf_trace.c)
  bpf_session_is_return: SESSION, bpf_session_cookie: SESSION,
  // bpf_kfunc_check_set_tcp_reqsk (filter.c)
  bpf_sk_assign_tcp_reqsk: TCP_REQSK,
  // bpf_kfunc_check_set_sock_addr (filter.c)
  bpf_sock_addr_set_sun_path: SOCK_ADDR,
  ...setOf(CONNTRACK_KFUNC_FLAGS, CONNTRACK),
  ...setOf(TEST_KFUNC_FLAGS, TEST_RUN),
} satisfies Record<string, KfuncSet>));

/**
 * btf_kfunc_id_set_contains for the kfuncs of the sets above: false when a program of `type`
 * (and expected attach type) may not call `name` ("calling kernel function %s is not allowed").
 * kfuncs of no set listed here are taken as allowed.
 */
export function kfuncAllowedFor(name: string, type: ProgType, expectedAttachType: number | undefined): boolean {
  const set = SETS.get(name) ?? (name.startsWith('bpf_cpumask_') ? CPUMASK : undefined);
  if (!set) return true;
  const hook = HOOK[type];
  if (!hook || !set.hooks.includes(hook)) return false;
  return !set.filter || set.filter(type, expectedAttachType);
}

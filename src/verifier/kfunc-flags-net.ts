/**
 * The flags of two networking kfunc sets (Linux 6.18 registrations), apart from the generic
 * table in kfuncs.ts because each is a family with its own object type and hooks (kfunc-sets.ts):
 *
 * - nf_ct_kfunc_set (net/netfilter/nf_conntrack_bpf.c) and nf_nat_kfunc_set (nf_nat_bpf.c), XDP
 *   and tc: conntrack entries looked up (struct nf_conn) or allocated (struct nf_conn___init, a
 *   no-cast alias of nf_conn: only the _init kfuncs take it), inserted, and released; their
 *   timeout, status and NAT set through kfuncs, their `mark` written directly (conntrack.ts).
 * - test_sk_check_kfunc_ids (net/bpf/test_run.c), tc, tracing, syscall and struct_ops: the
 *   destructors of the selftests' struct prog_test_ref_kfunc / prog_test_member kptrs (the rest
 *   of that family lives in the bpf_testmod module).
 */
import { KF_ACQUIRE, KF_RELEASE, KF_RET_NULL, KF_TRUSTED_ARGS } from './kfunc-flag-bits.js';

const A = KF_ACQUIRE, R = KF_RELEASE, N = KF_RET_NULL, TA = KF_TRUSTED_ARGS;

export const CONNTRACK_KFUNC_FLAGS: Readonly<Record<string, number>> = {
  bpf_xdp_ct_alloc: A | N,
  bpf_xdp_ct_lookup: A | N,
  bpf_skb_ct_alloc: A | N,
  bpf_skb_ct_lookup: A | N,
  bpf_ct_insert_entry: A | N | R,
  bpf_ct_release: R,
  bpf_ct_set_timeout: TA,
  bpf_ct_change_timeout: TA,
  bpf_ct_set_status: TA,
  bpf_ct_change_status: TA,
  bpf_ct_set_nat_info: TA,
};

export const TEST_KFUNC_FLAGS: Readonly<Record<string, number>> = {
  bpf_kfunc_call_test_release: R,
  bpf_kfunc_call_memb_release: R,
};

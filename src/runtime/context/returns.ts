/** The meaning of r0 per program type, and the range check_return_code() enforces. */
import type { ProgType } from '../../isa/program.js';
import type { ReturnSpec } from './types.js';

export const XDP_ACTIONS = { XDP_ABORTED: 0, XDP_DROP: 1, XDP_PASS: 2, XDP_TX: 3, XDP_REDIRECT: 4 } as const;
export const TC_ACTIONS = {
  TC_ACT_UNSPEC: -1, TC_ACT_OK: 0, TC_ACT_RECLASSIFY: 1, TC_ACT_SHOT: 2, TC_ACT_PIPE: 3, TC_ACT_STOLEN: 4,
  TC_ACT_QUEUED: 5, TC_ACT_REPEAT: 6, TC_ACT_REDIRECT: 7, TC_ACT_TRAP: 8,
} as const;
export const SK_ACTIONS = { SK_DROP: 0, SK_PASS: 1 } as const;

const invert = (o: Record<string, number>): Record<number, string> => Object.fromEntries(Object.entries(o).map(([k, v]) => [v, k]));

const XDP: ReturnSpec = { verifierRange: null, names: invert(XDP_ACTIONS), meaning: 'XDP action; unknown values are treated as XDP_ABORTED' };
const TC: ReturnSpec = { verifierRange: null, names: invert(TC_ACTIONS), meaning: 'tc action (TC_ACT_*); unknown values act as TC_ACT_OK' };
const SOCKET: ReturnSpec = { verifierRange: null, names: { 0: 'drop' }, meaning: 'bytes of the packet to keep (0 drops it; larger than the packet keeps all)' };
const CG_SKB: ReturnSpec = { verifierRange: { min: 0, max: 1 }, names: { 0: 'drop', 1: 'allow' }, meaning: '1 allows the packet, 0 drops it (egress: bit 1 signals congestion, range 0..3)' };
const CG_SKB_EGRESS: ReturnSpec = { verifierRange: { min: 0, max: 3 }, names: { 0: 'drop', 1: 'allow', 2: 'drop+cn', 3: 'allow+cn' }, meaning: 'bit 0 allows the packet, bit 1 signals congestion' };
const TRACE: ReturnSpec = { verifierRange: null, names: {}, meaning: 'ignored by the kernel (kprobe: 0 unless override_return)' };
const PERF: ReturnSpec = { verifierRange: null, names: {}, meaning: 'ignored by the kernel' };
const TP: ReturnSpec = { verifierRange: null, names: { 0: 'skip perf sample', 1: 'record perf sample' }, meaning: 'non-zero lets the event go on to perf' };
const CG_SOCK: ReturnSpec = { verifierRange: { min: 0, max: 1 }, names: { 0: 'reject', 1: 'allow' }, meaning: '1 allows the operation, 0 rejects it (sock_ops: the return value is ignored; reply carries the answer)' };
const UNKNOWN: ReturnSpec = { verifierRange: null, names: {}, meaning: 'program-type specific' };

/** enum bpf_attach_type values check_return_code distinguishes. */
const AT = {
  CGROUP_INET_EGRESS: 1, INET4_BIND: 8, INET6_BIND: 9, UDP4_RECVMSG: 19, UDP6_RECVMSG: 20,
  TRACE_FENTRY: 24, TRACE_FEXIT: 25, INET4_GETPEERNAME: 29, INET6_GETPEERNAME: 30, INET4_GETSOCKNAME: 31, INET6_GETSOCKNAME: 32,
  UNIX_RECVMSG: 51, UNIX_GETPEERNAME: 52, UNIX_GETSOCKNAME: 53, KPROBE_SESSION: 56, UPROBE_SESSION: 57,
} as const;
/** sock_addr hooks whose programs must return 1 (they may only rewrite the address). */
const SOCK_ADDR_RET_ONE: readonly number[] = [AT.UDP4_RECVMSG, AT.UDP6_RECVMSG, AT.UNIX_RECVMSG, AT.INET4_GETPEERNAME, AT.INET6_GETPEERNAME,
  AT.UNIX_GETPEERNAME, AT.INET4_GETSOCKNAME, AT.INET6_GETSOCKNAME, AT.UNIX_GETSOCKNAME];

/**
 * check_return_code: the range r0 must lie in at the main program's exit, per program type and
 * expected attach type (null: any value). LSM hooks with a restricted range and struct_ops are
 * not modelled here.
 */
export function returnRange(type: ProgType, expectedAttachType?: number): { min: number; max: number } | null {
  const eat = expectedAttachType;
  switch (type) {
    case 'cgroup_sock_addr':
      if (eat !== undefined && SOCK_ADDR_RET_ONE.includes(eat)) return { min: 1, max: 1 };
      if (eat === AT.INET4_BIND || eat === AT.INET6_BIND) return { min: 0, max: 3 };
      return { min: 0, max: 1 };
    case 'cgroup_skb':
      return eat === AT.CGROUP_INET_EGRESS ? { min: 0, max: 3 } : { min: 0, max: 1 };
    case 'cgroup_sock': case 'sock_ops': case 'cgroup_device': case 'cgroup_sysctl': case 'cgroup_sockopt':
    case 'sk_lookup': case 'netfilter':
      return { min: 0, max: 1 };
    case 'tracing':
      return eat === AT.TRACE_FENTRY || eat === AT.TRACE_FEXIT ? { min: 0, max: 0 } : null;
    case 'kprobe':
      return eat === AT.KPROBE_SESSION || eat === AT.UPROBE_SESSION ? { min: 0, max: 1 } : null;
    default:
      return null;
  }
}

/** The return-value meaning of `type` (cgroup_skb depends on the attach direction). */
export function returnSpec(type: ProgType, expectedAttachType?: number): ReturnSpec {
  const verifierRange = returnRange(type, expectedAttachType);
  switch (type) {
    case 'xdp': return XDP;
    case 'sched_cls': case 'sched_act': return TC;
    case 'socket_filter': return SOCKET;
    case 'cgroup_skb': return expectedAttachType === AT.CGROUP_INET_EGRESS ? CG_SKB_EGRESS : CG_SKB;
    case 'kprobe': case 'raw_tracepoint': return { ...TRACE, verifierRange };
    case 'tracepoint': return TP;
    case 'perf_event': return PERF;
    case 'cgroup_sock_addr': case 'cgroup_sock': case 'sock_ops': return { ...CG_SOCK, verifierRange };
    case 'netfilter': return { verifierRange, names: { 0: 'NF_DROP', 1: 'NF_ACCEPT' }, meaning: 'netfilter verdict: NF_DROP or NF_ACCEPT' };
    case 'sk_msg': return { verifierRange, names: invert(SK_ACTIONS), meaning: 'SK_PASS sends the message on (or where bpf_msg_redirect_* chose), SK_DROP drops it' };
    case 'sk_lookup': return { verifierRange, names: { 0: 'SK_DROP', 1: 'SK_PASS' }, meaning: 'SK_PASS lets the lookup go on (with the socket bpf_sk_assign chose), SK_DROP drops the packet' };
    default: return { ...UNKNOWN, verifierRange };
  }
}

/** The well-known name of a return value (e.g. 2 → "XDP_PASS" for xdp), or undefined. */
export function returnName(type: ProgType, r0: bigint): string | undefined {
  const v = Number(BigInt.asIntN(32, r0));
  if (BigInt.asUintN(64, r0) > 0xffffffffn && type !== 'sched_cls' && type !== 'sched_act') return undefined;
  return returnSpec(type).names[v];
}

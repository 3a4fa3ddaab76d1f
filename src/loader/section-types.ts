/**
 * Program type and attach point from an ELF section name, with libbpf's conventions
 * (the `section_defs` table of libbpf 1.x). A definition ending in '+' matches the name
 * itself or the name followed by '/' and an attach target; others match exactly. Objects
 * built for libbpf 0.x and samples/bpf's loader used prefixes ("xdp1", "socket1",
 * "cgroup/sock1"): when no 1.x rule matches, the first definition that is a prefix of the
 * name decides, and the result says so (`legacy`). Unknown names give type 'unspec'.
 */
import type { ProgType } from '../isa/program.js';

/** The kernel's `enum bpf_attach_type` numbers that section names select. */
export const ATTACH_TYPES = {
  cgroup_inet_ingress: 0,
  cgroup_inet_egress: 1,
  cgroup_inet_sock_create: 2,
  cgroup_sock_ops: 3,
  sk_skb_stream_parser: 4,
  sk_skb_stream_verdict: 5,
  cgroup_device: 6,
  sk_msg_verdict: 7,
  cgroup_inet4_bind: 8,
  cgroup_inet6_bind: 9,
  cgroup_inet4_connect: 10,
  cgroup_inet6_connect: 11,
  cgroup_inet4_post_bind: 12,
  cgroup_inet6_post_bind: 13,
  cgroup_udp4_sendmsg: 14,
  cgroup_udp6_sendmsg: 15,
  lirc_mode2: 16,
  flow_dissector: 17,
  cgroup_sysctl: 18,
  cgroup_udp4_recvmsg: 19,
  cgroup_udp6_recvmsg: 20,
  cgroup_getsockopt: 21,
  cgroup_setsockopt: 22,
  trace_raw_tp: 23,
  trace_fentry: 24,
  trace_fexit: 25,
  modify_return: 26,
  lsm_mac: 27,
  trace_iter: 28,
  cgroup_inet4_getpeername: 29,
  cgroup_inet6_getpeername: 30,
  cgroup_inet4_getsockname: 31,
  cgroup_inet6_getsockname: 32,
  xdp_devmap: 33,
  cgroup_inet_sock_release: 34,
  xdp_cpumap: 35,
  sk_lookup: 36,
  xdp: 37,
  sk_skb_verdict: 38,
  sk_reuseport_select: 39,
  sk_reuseport_select_or_migrate: 40,
  perf_event: 41,
  trace_kprobe_multi: 42,
  lsm_cgroup: 43,
  struct_ops: 44,
  netfilter: 45,
  tcx_ingress: 46,
  tcx_egress: 47,
  trace_uprobe_multi: 48,
  cgroup_unix_connect: 49,
  cgroup_unix_sendmsg: 50,
  cgroup_unix_recvmsg: 51,
  cgroup_unix_getpeername: 52,
  cgroup_unix_getsockname: 53,
  netkit_primary: 54,
  netkit_peer: 55,
  trace_kprobe_session: 56,
  trace_uprobe_session: 57,
} as const;
export type AttachType = keyof typeof ATTACH_TYPES;

/** BPF_F_SLEEPABLE and BPF_F_XDP_HAS_FRAGS program flags. */
/**
 * The expected_attach_type a program type cannot load without, for inputs that carry no section
 * (assembly, raw bytecode): netfilter and sk_lookup programs exist only as BPF_NETFILTER and
 * BPF_SK_LOOKUP (the kernel refuses them with EINVAL otherwise).
 */
export function requiredAttachType(type: string): number | undefined {
  return type === 'netfilter' ? ATTACH_TYPES.netfilter : type === 'sk_lookup' ? ATTACH_TYPES.sk_lookup : undefined;
}

export const BPF_F_SLEEPABLE = 1 << 4;
export const BPF_F_XDP_HAS_FRAGS = 1 << 5;

interface SecDef {
  sec: string;
  type: ProgType;
  attach?: AttachType;
  flags?: number;
  /** libbpf 0.x matched this definition as a prefix (SEC_SLOPPY_PFX). */
  sloppy?: boolean;
}

const S = BPF_F_SLEEPABLE;
const F = BPF_F_XDP_HAS_FRAGS;

/** libbpf's table, in its order (first match wins). */
const SECTION_DEFS: readonly SecDef[] = [
  { sec: 'socket', type: 'socket_filter', sloppy: true },
  { sec: 'sk_reuseport/migrate', type: 'sk_reuseport', attach: 'sk_reuseport_select_or_migrate', sloppy: true },
  { sec: 'sk_reuseport', type: 'sk_reuseport', attach: 'sk_reuseport_select', sloppy: true },
  { sec: 'kprobe+', type: 'kprobe' },
  { sec: 'uprobe+', type: 'kprobe' },
  { sec: 'uprobe.s+', type: 'kprobe', flags: S },
  { sec: 'kretprobe+', type: 'kprobe' },
  { sec: 'uretprobe+', type: 'kprobe' },
  { sec: 'uretprobe.s+', type: 'kprobe', flags: S },
  { sec: 'kprobe.multi+', type: 'kprobe', attach: 'trace_kprobe_multi' },
  { sec: 'kretprobe.multi+', type: 'kprobe', attach: 'trace_kprobe_multi' },
  { sec: 'kprobe.session+', type: 'kprobe', attach: 'trace_kprobe_session' },
  { sec: 'uprobe.multi+', type: 'kprobe', attach: 'trace_uprobe_multi' },
  { sec: 'uretprobe.multi+', type: 'kprobe', attach: 'trace_uprobe_multi' },
  { sec: 'uprobe.session+', type: 'kprobe', attach: 'trace_uprobe_session' },
  { sec: 'uprobe.multi.s+', type: 'kprobe', attach: 'trace_uprobe_multi', flags: S },
  { sec: 'uretprobe.multi.s+', type: 'kprobe', attach: 'trace_uprobe_multi', flags: S },
  { sec: 'uprobe.session.s+', type: 'kprobe', attach: 'trace_uprobe_session', flags: S },
  { sec: 'ksyscall+', type: 'kprobe' },
  { sec: 'kretsyscall+', type: 'kprobe' },
  { sec: 'usdt+', type: 'kprobe' },
  { sec: 'usdt.s+', type: 'kprobe', flags: S },
  { sec: 'tc/ingress', type: 'sched_cls', attach: 'tcx_ingress' },
  { sec: 'tc/egress', type: 'sched_cls', attach: 'tcx_egress' },
  { sec: 'tcx/ingress', type: 'sched_cls', attach: 'tcx_ingress' },
  { sec: 'tcx/egress', type: 'sched_cls', attach: 'tcx_egress' },
  { sec: 'netkit/primary', type: 'sched_cls', attach: 'netkit_primary' },
  { sec: 'netkit/peer', type: 'sched_cls', attach: 'netkit_peer' },
  { sec: 'tc', type: 'sched_cls' },
  { sec: 'classifier', type: 'sched_cls', sloppy: true },
  { sec: 'action', type: 'sched_act', sloppy: true },
  { sec: 'tracepoint+', type: 'tracepoint' },
  { sec: 'tp+', type: 'tracepoint' },
  { sec: 'raw_tracepoint+', type: 'raw_tracepoint' },
  { sec: 'raw_tp+', type: 'raw_tracepoint' },
  { sec: 'raw_tracepoint.w+', type: 'raw_tracepoint_writable' },
  { sec: 'raw_tp.w+', type: 'raw_tracepoint_writable' },
  { sec: 'tp_btf+', type: 'tracing', attach: 'trace_raw_tp' },
  { sec: 'fentry+', type: 'tracing', attach: 'trace_fentry' },
  { sec: 'fmod_ret+', type: 'tracing', attach: 'modify_return' },
  { sec: 'fexit+', type: 'tracing', attach: 'trace_fexit' },
  { sec: 'fentry.s+', type: 'tracing', attach: 'trace_fentry', flags: S },
  { sec: 'fmod_ret.s+', type: 'tracing', attach: 'modify_return', flags: S },
  { sec: 'fexit.s+', type: 'tracing', attach: 'trace_fexit', flags: S },
  { sec: 'freplace+', type: 'ext' },
  { sec: 'lsm+', type: 'lsm', attach: 'lsm_mac' },
  { sec: 'lsm.s+', type: 'lsm', attach: 'lsm_mac', flags: S },
  { sec: 'lsm_cgroup+', type: 'lsm', attach: 'lsm_cgroup' },
  { sec: 'iter+', type: 'tracing', attach: 'trace_iter' },
  { sec: 'iter.s+', type: 'tracing', attach: 'trace_iter', flags: S },
  { sec: 'syscall', type: 'syscall', flags: S },
  { sec: 'xdp.frags/devmap', type: 'xdp', attach: 'xdp_devmap', flags: F },
  { sec: 'xdp/devmap', type: 'xdp', attach: 'xdp_devmap' },
  { sec: 'xdp.frags/cpumap', type: 'xdp', attach: 'xdp_cpumap', flags: F },
  { sec: 'xdp/cpumap', type: 'xdp', attach: 'xdp_cpumap' },
  { sec: 'xdp.frags', type: 'xdp', attach: 'xdp', flags: F },
  { sec: 'xdp', type: 'xdp', attach: 'xdp', sloppy: true },
  { sec: 'perf_event', type: 'perf_event', sloppy: true },
  { sec: 'lwt_in', type: 'lwt_in', sloppy: true },
  { sec: 'lwt_out', type: 'lwt_out', sloppy: true },
  { sec: 'lwt_xmit', type: 'lwt_xmit', sloppy: true },
  { sec: 'lwt_seg6local', type: 'lwt_seg6local', sloppy: true },
  { sec: 'sockops', type: 'sock_ops', attach: 'cgroup_sock_ops', sloppy: true },
  { sec: 'sk_skb/stream_parser', type: 'sk_skb', attach: 'sk_skb_stream_parser', sloppy: true },
  { sec: 'sk_skb/stream_verdict', type: 'sk_skb', attach: 'sk_skb_stream_verdict', sloppy: true },
  { sec: 'sk_skb/verdict', type: 'sk_skb', attach: 'sk_skb_verdict', sloppy: true },
  { sec: 'sk_skb', type: 'sk_skb', sloppy: true },
  { sec: 'sk_msg', type: 'sk_msg', attach: 'sk_msg_verdict', sloppy: true },
  { sec: 'lirc_mode2', type: 'lirc_mode2', attach: 'lirc_mode2', sloppy: true },
  { sec: 'flow_dissector', type: 'flow_dissector', attach: 'flow_dissector', sloppy: true },
  { sec: 'cgroup_skb/ingress', type: 'cgroup_skb', attach: 'cgroup_inet_ingress', sloppy: true },
  { sec: 'cgroup_skb/egress', type: 'cgroup_skb', attach: 'cgroup_inet_egress', sloppy: true },
  { sec: 'cgroup/skb', type: 'cgroup_skb', sloppy: true },
  { sec: 'cgroup/sock_create', type: 'cgroup_sock', attach: 'cgroup_inet_sock_create' },
  { sec: 'cgroup/sock_release', type: 'cgroup_sock', attach: 'cgroup_inet_sock_release' },
  { sec: 'cgroup/sock', type: 'cgroup_sock', attach: 'cgroup_inet_sock_create', sloppy: true },
  { sec: 'cgroup/post_bind4', type: 'cgroup_sock', attach: 'cgroup_inet4_post_bind', sloppy: true },
  { sec: 'cgroup/post_bind6', type: 'cgroup_sock', attach: 'cgroup_inet6_post_bind', sloppy: true },
  { sec: 'cgroup/bind4', type: 'cgroup_sock_addr', attach: 'cgroup_inet4_bind', sloppy: true },
  { sec: 'cgroup/bind6', type: 'cgroup_sock_addr', attach: 'cgroup_inet6_bind', sloppy: true },
  { sec: 'cgroup/connect4', type: 'cgroup_sock_addr', attach: 'cgroup_inet4_connect', sloppy: true },
  { sec: 'cgroup/connect6', type: 'cgroup_sock_addr', attach: 'cgroup_inet6_connect', sloppy: true },
  { sec: 'cgroup/connect_unix', type: 'cgroup_sock_addr', attach: 'cgroup_unix_connect' },
  { sec: 'cgroup/sendmsg4', type: 'cgroup_sock_addr', attach: 'cgroup_udp4_sendmsg', sloppy: true },
  { sec: 'cgroup/sendmsg6', type: 'cgroup_sock_addr', attach: 'cgroup_udp6_sendmsg', sloppy: true },
  { sec: 'cgroup/sendmsg_unix', type: 'cgroup_sock_addr', attach: 'cgroup_unix_sendmsg' },
  { sec: 'cgroup/recvmsg4', type: 'cgroup_sock_addr', attach: 'cgroup_udp4_recvmsg', sloppy: true },
  { sec: 'cgroup/recvmsg6', type: 'cgroup_sock_addr', attach: 'cgroup_udp6_recvmsg', sloppy: true },
  { sec: 'cgroup/recvmsg_unix', type: 'cgroup_sock_addr', attach: 'cgroup_unix_recvmsg' },
  { sec: 'cgroup/getpeername4', type: 'cgroup_sock_addr', attach: 'cgroup_inet4_getpeername', sloppy: true },
  { sec: 'cgroup/getpeername6', type: 'cgroup_sock_addr', attach: 'cgroup_inet6_getpeername', sloppy: true },
  { sec: 'cgroup/getpeername_unix', type: 'cgroup_sock_addr', attach: 'cgroup_unix_getpeername' },
  { sec: 'cgroup/getsockname4', type: 'cgroup_sock_addr', attach: 'cgroup_inet4_getsockname', sloppy: true },
  { sec: 'cgroup/getsockname6', type: 'cgroup_sock_addr', attach: 'cgroup_inet6_getsockname', sloppy: true },
  { sec: 'cgroup/getsockname_unix', type: 'cgroup_sock_addr', attach: 'cgroup_unix_getsockname' },
  { sec: 'cgroup/sysctl', type: 'cgroup_sysctl', attach: 'cgroup_sysctl', sloppy: true },
  { sec: 'cgroup/getsockopt', type: 'cgroup_sockopt', attach: 'cgroup_getsockopt', sloppy: true },
  { sec: 'cgroup/setsockopt', type: 'cgroup_sockopt', attach: 'cgroup_setsockopt', sloppy: true },
  { sec: 'cgroup/dev', type: 'cgroup_device', attach: 'cgroup_device', sloppy: true },
  { sec: 'struct_ops+', type: 'struct_ops' },
  { sec: 'struct_ops.s+', type: 'struct_ops', flags: S },
  { sec: 'sk_lookup', type: 'sk_lookup', attach: 'sk_lookup', sloppy: true },
  { sec: 'netfilter', type: 'netfilter', attach: 'netfilter' },
];

export interface SectionType {
  type: ProgType;
  /** Attach target named by the section (kprobe/NAME → NAME, tracepoint/CAT/NAME → NAME). */
  attachTo?: string;
  /** Tracepoint category (tracepoint/CAT/NAME → CAT). */
  attachCategory?: string;
  /** The kernel's expected_attach_type number, where libbpf passes one. */
  expectedAttachType?: number;
  expectedAttachName?: AttachType;
  /** BPF_F_SLEEPABLE / BPF_F_XDP_HAS_FRAGS. */
  progFlags: number;
  /** The libbpf definition that matched ('' when none did). */
  rule: string;
  /** Matched only by the libbpf 0.x prefix rule. */
  legacy: boolean;
}

/**
 * Classifies a section name; never throws. A leading '?' (libbpf 1.x: not loaded unless asked
 * for) does not change the program type.
 */
export function sectionType(name: string): SectionType {
  if (name.startsWith('?')) name = name.slice(1);
  for (const d of SECTION_DEFS) {
    const plus = d.sec.endsWith('+');
    const base = plus ? d.sec.slice(0, -1) : d.sec;
    if (name === base) return result(d, undefined, false);
    if (plus && name.startsWith(base + '/')) return result(d, name.slice(base.length + 1), false);
  }
  for (const d of SECTION_DEFS) {
    if (!d.sloppy) continue;
    if (name.startsWith(d.sec)) return result(d, undefined, true);
  }
  return { type: 'unspec', progFlags: 0, rule: '', legacy: false };
}

function result(d: SecDef, target: string | undefined, legacy: boolean): SectionType {
  const r: SectionType = { type: d.type, progFlags: d.flags ?? 0, rule: d.sec, legacy };
  if (d.attach !== undefined) {
    r.expectedAttachType = ATTACH_TYPES[d.attach];
    r.expectedAttachName = d.attach;
  }
  if (target !== undefined && target !== '') {
    if (d.type === 'tracepoint') {
      const slash = target.indexOf('/');
      if (slash > 0) {
        r.attachCategory = target.slice(0, slash);
        r.attachTo = target.slice(slash + 1);
      } else r.attachTo = target;
    } else r.attachTo = target;
  }
  return r;
}

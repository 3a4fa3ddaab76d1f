/**
 * Program types and their contexts: the layout of r1's struct, the kernel's is_valid_access rules,
 * and the meaning of the return value. `progTypeInfo(type)` is the single entry point.
 */
import type { ProgType } from '../../isa/program.js';
import { CGROUP_SKB_CTX, FLOW_DISSECTOR_CTX, LWT_CTX, SK_SKB_CTX, SOCKET_FILTER_CTX, TC_CTX } from './skbuff.js';
import { KPROBE_CTX, PERF_EVENT_CTX, RAW_TRACEPOINT_CTX, RAW_TRACEPOINT_WRITABLE_CTX, TRACEPOINT_CTX } from './tracing.js';
import { XDP_CTX } from './xdp.js';
import { CGROUP_SOCK_ADDR_CTX, CGROUP_SOCK_CTX, SOCK_OPS_CTX } from './sock.js';
import { NETFILTER_CTX } from './netfilter.js';
import { SK_LOOKUP_CTX, SK_REUSEPORT_CTX } from './socket-select.js';
import { SK_MSG_CTX } from './sk-msg.js';
import { CGROUP_DEVICE_CTX, CGROUP_SYSCTL_CTX } from './cgroup-ctl.js';
import { CGROUP_SOCKOPT_CTX } from './sockopt.js';
import { returnSpec } from './returns.js';
import { SYSCALL_CTX } from './syscall.js';
import type { CtxLayout, ProgTypeInfo } from './types.js';

export * from './types.js';
export { SK_BUFF_FIELDS, SK_BUFF_SIZE, SOCKET_FILTER_CTX, TC_CTX, CGROUP_SKB_CTX, LWT_CTX, SK_SKB_CTX, FLOW_DISSECTOR_CTX, BPF_CGROUP_INET_EGRESS, SKB_TARGET_SIZE, SKB_CTX_IN_FIELDS, SKB_CTX_OUT_FIELDS } from './skbuff.js';
export { XDP_MD_FIELDS, XDP_MD_SIZE, XDP_CTX, BPF_XDP_DEVMAP } from './xdp.js';
export { KPROBE_CTX, PERF_EVENT_CTX, TRACEPOINT_CTX, RAW_TRACEPOINT_CTX, RAW_TRACEPOINT_WRITABLE_CTX, PT_REGS_SIZE, PT_REGS_PARM, PT_REGS_RC, TRACEPOINT_MAX, RAW_TP_ARGS } from './tracing.js';
export { CGROUP_SOCK_CTX, CGROUP_SOCK_ADDR_CTX, SOCK_OPS_CTX, BPF_SOCK_FIELDS, BPF_SOCK_ADDR_FIELDS, BPF_SOCK_OPS_FIELDS, ATTACH } from './sock.js';
export { NETFILTER_CTX, BPF_NF_CTX_FIELDS } from './netfilter.js';
export { SK_LOOKUP_CTX, SK_REUSEPORT_CTX, BPF_SK_LOOKUP_FIELDS, SK_REUSEPORT_MD_FIELDS } from './socket-select.js';
export { SK_MSG_CTX, SK_MSG_MD_FIELDS } from './sk-msg.js';
export { CGROUP_DEVICE_CTX, CGROUP_SYSCTL_CTX, BPF_CGROUP_DEV_CTX_FIELDS, BPF_SYSCTL_FIELDS } from './cgroup-ctl.js';
export { CGROUP_SOCKOPT_CTX, BPF_SOCKOPT_FIELDS, BPF_CGROUP_GETSOCKOPT, BPF_CGROUP_SETSOCKOPT } from './sockopt.js';
export { SYSCALL_CTX } from './syscall.js';
export { XDP_ACTIONS, TC_ACTIONS, SK_ACTIONS, returnSpec, returnName, returnRange } from './returns.js';

const LAYOUTS: Partial<Record<ProgType, CtxLayout>> = {
  socket_filter: SOCKET_FILTER_CTX,
  sched_cls: TC_CTX,
  sched_act: TC_CTX,
  cgroup_skb: CGROUP_SKB_CTX,
  xdp: XDP_CTX,
  kprobe: KPROBE_CTX,
  tracepoint: TRACEPOINT_CTX,
  raw_tracepoint: RAW_TRACEPOINT_CTX,
  raw_tracepoint_writable: RAW_TRACEPOINT_WRITABLE_CTX,
  perf_event: PERF_EVENT_CTX,
  cgroup_sock: CGROUP_SOCK_CTX,
  cgroup_sock_addr: CGROUP_SOCK_ADDR_CTX,
  sock_ops: SOCK_OPS_CTX,
  lwt_in: LWT_CTX,
  lwt_out: LWT_CTX,
  lwt_xmit: LWT_CTX,
  lwt_seg6local: LWT_CTX,
  sk_skb: SK_SKB_CTX,
  flow_dissector: FLOW_DISSECTOR_CTX,
  netfilter: NETFILTER_CTX,
  sk_lookup: SK_LOOKUP_CTX,
  sk_reuseport: SK_REUSEPORT_CTX,
  sk_msg: SK_MSG_CTX,
  cgroup_device: CGROUP_DEVICE_CTX,
  cgroup_sysctl: CGROUP_SYSCTL_CTX,
  cgroup_sockopt: CGROUP_SOCKOPT_CTX,
};

/** The context layout of `type`, or undefined for program types bpflab does not model. */
export function ctxLayout(type: ProgType): CtxLayout | undefined {
  return LAYOUTS[type];
}

/**
 * The context the verifier checks accesses against: ctxLayout's, and for syscall programs the
 * caller's buffer (checked access by access, never built by the VM).
 */
export function verifierCtxLayout(type: ProgType): CtxLayout | undefined {
  return LAYOUTS[type] ?? (type === 'syscall' ? SYSCALL_CTX : undefined);
}

/** Program types with a modelled context. */
export const MODELLED_PROG_TYPES = Object.keys(LAYOUTS) as ProgType[];

export function progTypeInfo(type: ProgType, expectedAttachType?: number): ProgTypeInfo | undefined {
  const ctx = LAYOUTS[type];
  return ctx ? { type, ctx, ret: returnSpec(type, expectedAttachType) } : undefined;
}

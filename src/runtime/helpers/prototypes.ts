/**
 * Helper prototypes: ONE table with the kernel's helper ids (uapi `___BPF_FUNC_MAPPER`, kernel 6.18),
 * names, return types, argument types and flags, as in the kernel's `struct bpf_func_proto`
 * definitions (kernel/bpf/helpers.c, kernel/trace/bpf_trace.c, net/core/filter.c, kernel/bpf/ringbuf.c).
 *
 * The verifier checks calls against it (check_helper_call); the VM and JIT dispatch on the same ids.
 * Argument types follow the kernel's modern encoding: a base type plus flags (MEM_RDONLY,
 * PTR_MAYBE_NULL, MEM_UNINIT, MEM_WRITE, OBJ_RELEASE, ...); `name` is the spelling the kernel
 * sources use (e.g. "ARG_PTR_TO_UNINIT_MEM") for messages and docs.
 */
import type { ProgType } from '../../isa/program.js';
import { HELPER_NAMES as ISA_HELPER_NAMES } from '../../isa/helper-ids.js';

/** Base argument types (enum bpf_arg_type without flags). */
export type ArgBase =
  | 'ARG_DONTCARE'
  | 'ARG_ANYTHING'
  | 'ARG_CONST_MAP_PTR'
  | 'ARG_PTR_TO_MAP_KEY'
  | 'ARG_PTR_TO_MAP_VALUE'
  | 'ARG_PTR_TO_MEM'
  | 'ARG_PTR_TO_FIXED_SIZE_MEM'
  | 'ARG_PTR_TO_ARENA'
  | 'ARG_CONST_SIZE'
  | 'ARG_CONST_SIZE_OR_ZERO'
  | 'ARG_CONST_ALLOC_SIZE_OR_ZERO'
  | 'ARG_PTR_TO_CTX'
  | 'ARG_PTR_TO_STACK'
  | 'ARG_PTR_TO_FUNC'
  | 'ARG_PTR_TO_CONST_STR'
  | 'ARG_PTR_TO_RINGBUF_MEM'
  | 'ARG_PTR_TO_SOCK_COMMON'
  | 'ARG_PTR_TO_SOCKET'
  | 'ARG_PTR_TO_BTF_ID_SOCK_COMMON'
  | 'ARG_PTR_TO_BTF_ID'
  | 'ARG_PTR_TO_SPIN_LOCK'
  | 'ARG_PTR_TO_TIMER'
  | 'ARG_PTR_TO_KPTR'
  | 'ARG_PTR_TO_DYNPTR'
  | 'ARG_PTR_TO_PERCPU_BTF_ID'
  /** bpf_kptr_xchg's destination: a map value pointer at a referenced kptr field. */
  | 'ARG_KPTR_XCHG_DEST';

export interface ArgSpec {
  /** The kernel's spelling of the whole type, e.g. "ARG_PTR_TO_UNINIT_MEM", "ARG_PTR_TO_MEM | MEM_RDONLY". */
  name: string;
  base: ArgBase;
  /** PTR_MAYBE_NULL: the argument may also be the constant 0 (NULL). */
  maybeNull?: true;
  /** MEM_RDONLY: the helper only reads the memory (read-only memory is acceptable). */
  rdonly?: true;
  /** MEM_UNINIT: the helper initialises the memory; the program need not have written it. */
  uninit?: true;
  /** MEM_WRITE: the helper writes the memory. */
  write?: true;
  /** OBJ_RELEASE: the call releases the referenced object (ringbuf record, socket). */
  release?: true;
  /** MEM_ALIGNED: the pointer must be aligned to `fixedSize`. */
  aligned?: true;
  /** For ARG_PTR_TO_FIXED_SIZE_MEM: the size the helper accesses (argN_size). */
  fixedSize?: number;
  /** For ARG_PTR_TO_BTF_ID: the kernel struct the pointer must be (arg_btf_id), e.g. "task_struct". */
  btfStruct?: string;
  /** For ARG_PTR_TO_BTF_ID: the struct is the one of the kptr field named by the ARG_KPTR_XCHG_DEST argument (arg_btf_id BPF_PTR_POISON). */
  kptr?: true;
  /** For ARG_PTR_TO_DYNPTR: the DYNPTR_TYPE_* flag (the type created, or the only type accepted); absent: any. */
  dynptr?: 'local' | 'ringbuf';
}

/** Return types (enum bpf_return_type, with flags folded into the name as the kernel's aliases do). */
export type RetType =
  | 'RET_INTEGER'
  | 'RET_VOID'
  | 'RET_PTR_TO_MAP_VALUE'
  | 'RET_PTR_TO_MAP_VALUE_OR_NULL'
  | 'RET_PTR_TO_SOCKET_OR_NULL'
  | 'RET_PTR_TO_TCP_SOCK_OR_NULL'
  | 'RET_PTR_TO_SOCK_COMMON_OR_NULL'
  /** bpf_ringbuf_reserve: RET_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RINGBUF, size = the constant in arg 2. */
  | 'RET_PTR_TO_RINGBUF_MEM_OR_NULL'
  | 'RET_PTR_TO_MEM_OR_BTF_ID'
  | 'RET_PTR_TO_MEM_OR_BTF_ID_OR_NULL'
  | 'RET_PTR_TO_BTF_ID'
  | 'RET_PTR_TO_BTF_ID_OR_NULL'
  /** bpf_dynptr_data: RET_PTR_TO_DYNPTR_MEM_OR_NULL. */
  | 'RET_PTR_TO_DYNPTR_MEM_OR_NULL';

export interface HelperProto {
  id: number;
  /** Name without the bpf_ prefix, as in enum bpf_func_id (BPF_FUNC_<name>). */
  name: string;
  ret: RetType;
  /** Argument types r1..r5; a helper with fewer arguments has a shorter list (the rest ARG_DONTCARE). */
  args: readonly ArgSpec[];
  gplOnly: boolean;
  /** .pkt_access: packet pointers are acceptable as memory arguments. */
  pktAccess: boolean;
  /** bpf_helper_changes_pkt_data(): the call invalidates every packet pointer. */
  changesPkt: boolean;
  /** Program types whose get_func_proto offers this helper (as root, CAP_BPF + CAP_PERFMON; checked against kernel 6.18 for the modelled types). */
  progTypes: readonly ProgType[];
  /** .might_sleep: only sleepable programs may call it. */
  mightSleep: boolean;
  /** Differences per program type (e.g. "ctx is struct pt_regs for kprobe"), or caveats (undefined: none). */
  note: string | undefined;
}

// ---- argument type shorthands (names as the kernel spells them) ----
const arg = (name: string, base: ArgBase, flags: Omit<ArgSpec, 'name' | 'base'> = {}): ArgSpec => ({ name, base, ...flags });
export const ARG = {
  anything: arg('ARG_ANYTHING', 'ARG_ANYTHING'),
  mapPtr: arg('ARG_CONST_MAP_PTR', 'ARG_CONST_MAP_PTR'),
  mapKey: arg('ARG_PTR_TO_MAP_KEY', 'ARG_PTR_TO_MAP_KEY'),
  mapValue: arg('ARG_PTR_TO_MAP_VALUE', 'ARG_PTR_TO_MAP_VALUE'),
  mapValueOrNull: arg('ARG_PTR_TO_MAP_VALUE_OR_NULL', 'ARG_PTR_TO_MAP_VALUE', { maybeNull: true }),
  uninitMapValue: arg('ARG_PTR_TO_MAP_VALUE | MEM_UNINIT | MEM_WRITE', 'ARG_PTR_TO_MAP_VALUE', { uninit: true, write: true }),
  /** Memory the helper reads. */
  memRdonly: arg('ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_PTR_TO_MEM', { rdonly: true }),
  memRdonlyOrNull: arg('ARG_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RDONLY', 'ARG_PTR_TO_MEM', { rdonly: true, maybeNull: true }),
  /** Initialised memory (or NULL) the helper writes. */
  memOrNullWrite: arg('ARG_PTR_TO_MEM_OR_NULL | MEM_WRITE', 'ARG_PTR_TO_MEM', { maybeNull: true, write: true }),
  /** Memory the helper fills (need not be initialised). */
  uninitMem: arg('ARG_PTR_TO_UNINIT_MEM', 'ARG_PTR_TO_MEM', { uninit: true, write: true }),
  constSize: arg('ARG_CONST_SIZE', 'ARG_CONST_SIZE'),
  constSizeOrZero: arg('ARG_CONST_SIZE_OR_ZERO', 'ARG_CONST_SIZE_OR_ZERO'),
  allocSizeOrZero: arg('ARG_CONST_ALLOC_SIZE_OR_ZERO', 'ARG_CONST_ALLOC_SIZE_OR_ZERO'),
  ctx: arg('ARG_PTR_TO_CTX', 'ARG_PTR_TO_CTX'),
  ctxOrNull: arg('ARG_PTR_TO_CTX_OR_NULL', 'ARG_PTR_TO_CTX', { maybeNull: true }),
  stackOrNull: arg('ARG_PTR_TO_STACK_OR_NULL', 'ARG_PTR_TO_STACK', { maybeNull: true }),
  func: arg('ARG_PTR_TO_FUNC', 'ARG_PTR_TO_FUNC'),
  constStr: arg('ARG_PTR_TO_CONST_STR', 'ARG_PTR_TO_CONST_STR'),
  ringbufMem: arg('ARG_PTR_TO_RINGBUF_MEM | OBJ_RELEASE', 'ARG_PTR_TO_RINGBUF_MEM', { release: true }),
  long: arg('ARG_PTR_TO_FIXED_SIZE_MEM | MEM_UNINIT | MEM_WRITE | MEM_ALIGNED (8)', 'ARG_PTR_TO_FIXED_SIZE_MEM', { uninit: true, write: true, aligned: true, fixedSize: 8 }),
  /** An in/out u32 (bpf_check_mtu's mtu_len: read, then written; not MEM_UNINIT). */
  u32InOut: arg('ARG_PTR_TO_FIXED_SIZE_MEM | MEM_WRITE | MEM_ALIGNED (4)', 'ARG_PTR_TO_FIXED_SIZE_MEM', { write: true, aligned: true, fixedSize: 4 }),
  /** Headers the raw SYN-cookie helpers read: struct iphdr, ipv6hdr, tcphdr. */
  ipHdr: arg('ARG_PTR_TO_FIXED_SIZE_MEM | MEM_RDONLY (struct iphdr)', 'ARG_PTR_TO_FIXED_SIZE_MEM', { rdonly: true, fixedSize: 20 }),
  ipv6Hdr: arg('ARG_PTR_TO_FIXED_SIZE_MEM | MEM_RDONLY (struct ipv6hdr)', 'ARG_PTR_TO_FIXED_SIZE_MEM', { rdonly: true, fixedSize: 40 }),
  tcpHdr: arg('ARG_PTR_TO_FIXED_SIZE_MEM | MEM_RDONLY (struct tcphdr)', 'ARG_PTR_TO_FIXED_SIZE_MEM', { rdonly: true, fixedSize: 20 }),
  sockCommon: arg('ARG_PTR_TO_SOCK_COMMON', 'ARG_PTR_TO_SOCK_COMMON'),
  btfSockCommon: arg('ARG_PTR_TO_BTF_ID_SOCK_COMMON', 'ARG_PTR_TO_BTF_ID_SOCK_COMMON'),
  /** bpf_get_socket_ptr_cookie_proto's socket: NULL allowed (the cookie of NULL is 0). */
  btfSockCommonMaybeNull: arg('ARG_PTR_TO_BTF_ID_SOCK_COMMON | PTR_MAYBE_NULL', 'ARG_PTR_TO_BTF_ID_SOCK_COMMON', { maybeNull: true }),
  btfSockCommonRelease: arg('ARG_PTR_TO_BTF_ID_SOCK_COMMON | OBJ_RELEASE', 'ARG_PTR_TO_BTF_ID_SOCK_COMMON', { release: true }),
  spinLock: arg('ARG_PTR_TO_SPIN_LOCK', 'ARG_PTR_TO_SPIN_LOCK'),
  timer: arg('ARG_PTR_TO_TIMER', 'ARG_PTR_TO_TIMER'),
  btfId: arg('ARG_PTR_TO_BTF_ID', 'ARG_PTR_TO_BTF_ID'),
  percpuBtfId: arg('ARG_PTR_TO_PERCPU_BTF_ID', 'ARG_PTR_TO_PERCPU_BTF_ID'),
  btfTask: arg('ARG_PTR_TO_BTF_ID (struct task_struct)', 'ARG_PTR_TO_BTF_ID', { btfStruct: 'task_struct' }),
  btfSeqFile: arg('ARG_PTR_TO_BTF_ID (struct seq_file)', 'ARG_PTR_TO_BTF_ID', { btfStruct: 'seq_file' }),
  btfPath: arg('ARG_PTR_TO_BTF_ID (struct path)', 'ARG_PTR_TO_BTF_ID', { btfStruct: 'path' }),
  btfFile: arg('ARG_PTR_TO_BTF_ID (struct file)', 'ARG_PTR_TO_BTF_ID', { btfStruct: 'file' }),
  btfSkb: arg('ARG_PTR_TO_BTF_ID (struct sk_buff)', 'ARG_PTR_TO_BTF_ID', { btfStruct: 'sk_buff' }),
  btfXdpBuff: arg('ARG_PTR_TO_BTF_ID (struct xdp_buff)', 'ARG_PTR_TO_BTF_ID', { btfStruct: 'xdp_buff' }),
  /** The owner of a local-storage value (bpf_{task,cgrp,inode}_storage_get/delete); NULL is allowed and gets NULL / -EINVAL. */
  btfTaskOrNull: arg('ARG_PTR_TO_BTF_ID_OR_NULL (struct task_struct)', 'ARG_PTR_TO_BTF_ID', { btfStruct: 'task_struct', maybeNull: true }),
  btfCgroupOrNull: arg('ARG_PTR_TO_BTF_ID_OR_NULL (struct cgroup)', 'ARG_PTR_TO_BTF_ID', { btfStruct: 'cgroup', maybeNull: true }),
  btfInodeOrNull: arg('ARG_PTR_TO_BTF_ID_OR_NULL (struct inode)', 'ARG_PTR_TO_BTF_ID', { btfStruct: 'inode', maybeNull: true }),
  btfSockCommonOrNull: arg('ARG_PTR_TO_BTF_ID_OR_NULL (struct sock_common)', 'ARG_PTR_TO_BTF_ID', { btfStruct: 'sock_common', maybeNull: true }),
  btfSockCommonBtf: arg('ARG_PTR_TO_BTF_ID (struct sock_common)', 'ARG_PTR_TO_BTF_ID', { btfStruct: 'sock_common' }),
  btfTcpSock: arg('ARG_PTR_TO_BTF_ID (struct tcp_sock)', 'ARG_PTR_TO_BTF_ID', { btfStruct: 'tcp_sock' }),
  kptrXchgDest: arg('ARG_KPTR_XCHG_DEST', 'ARG_KPTR_XCHG_DEST'),
  kptrXchgSrc: arg('ARG_PTR_TO_BTF_ID_OR_NULL | OBJ_RELEASE (the kptr field\'s struct)', 'ARG_PTR_TO_BTF_ID', { maybeNull: true, release: true, kptr: true }),
  socketOrNull: arg('ARG_PTR_TO_SOCKET_OR_NULL', 'ARG_PTR_TO_SOCKET', { maybeNull: true }),
  memWrite: arg('ARG_PTR_TO_MEM | MEM_WRITE', 'ARG_PTR_TO_MEM', { write: true }),
  /** A dynptr the helper creates (bpf_dynptr_from_mem, bpf_ringbuf_reserve_dynptr). */
  dynptrLocalUninit: arg('ARG_PTR_TO_DYNPTR | DYNPTR_TYPE_LOCAL | MEM_UNINIT | MEM_WRITE', 'ARG_PTR_TO_DYNPTR', { dynptr: 'local', uninit: true, write: true }),
  dynptrRingbufUninit: arg('ARG_PTR_TO_DYNPTR | DYNPTR_TYPE_RINGBUF | MEM_UNINIT | MEM_WRITE', 'ARG_PTR_TO_DYNPTR', { dynptr: 'ringbuf', uninit: true, write: true }),
  /** A ring-buffer dynptr the helper submits or discards. */
  dynptrRingbufRelease: arg('ARG_PTR_TO_DYNPTR | DYNPTR_TYPE_RINGBUF | OBJ_RELEASE', 'ARG_PTR_TO_DYNPTR', { dynptr: 'ringbuf', release: true }),
  /** An initialised dynptr of any type the helper does not mutate. */
  dynptrRdonly: arg('ARG_PTR_TO_DYNPTR | MEM_RDONLY', 'ARG_PTR_TO_DYNPTR', { rdonly: true }),
} as const;

// ---- program-type groups: which get_func_proto offers a helper ----
/** Every type whose get_func_proto falls back to bpf_base_func_proto. */
const SKB: readonly ProgType[] = ['socket_filter', 'sched_cls', 'sched_act', 'cgroup_skb', 'lwt_in', 'lwt_out', 'lwt_xmit', 'sk_skb'];
const TC: readonly ProgType[] = ['sched_cls', 'sched_act'];
const TRACING: readonly ProgType[] = ['kprobe', 'tracepoint', 'raw_tracepoint', 'raw_tracepoint_writable', 'perf_event', 'tracing'];
const NET: readonly ProgType[] = [...SKB, 'xdp', 'cgroup_sock', 'cgroup_sock_addr', 'sock_ops', 'sk_msg', 'flow_dissector', 'sk_reuseport', 'sk_lookup', 'cgroup_sockopt', 'cgroup_sysctl', 'cgroup_device', 'lwt_seg6local'];
const BASE: readonly ProgType[] = [...NET, ...TRACING, 'lsm', 'struct_ops', 'syscall', 'netfilter', 'lirc_mode2', 'ext'];
const uniq = (...groups: (readonly ProgType[])[]): readonly ProgType[] => [...new Set(groups.flat())];
/** bpf_sk_base_func_proto users (the bpf_skc_to_* casts): networking types but cgroup_sock, and tracing/lsm; not the perf-style tracing types. */
const SKC: readonly ProgType[] = BASE.filter((t) => !['kprobe', 'tracepoint', 'raw_tracepoint', 'raw_tracepoint_writable', 'perf_event', 'cgroup_sock',
  'cgroup_sockopt', 'cgroup_device', 'cgroup_sysctl', 'sk_reuseport', 'netfilter'].includes(t));
/** lwt_seg6local_func_proto falls back to lwt_out_func_proto. */
const LWT: readonly ProgType[] = ['lwt_in', 'lwt_out', 'lwt_xmit', 'lwt_seg6local'];
/** Types whose get_func_proto offers bpf_event_output_data_proto (perf_event_output from a context without packet data). */
const EVENT_OUTPUT_DATA: readonly ProgType[] = ['cgroup_sock', 'cgroup_sock_addr', 'sock_ops', 'sk_msg', 'cgroup_sockopt', 'cgroup_device', 'cgroup_sysctl', 'sk_lookup'];

interface Def {
  ret?: RetType;
  args?: readonly ArgSpec[];
  gpl?: boolean;
  pkt?: boolean;
  changesPkt?: boolean;
  sleeps?: boolean;
  types: readonly ProgType[];
  note?: string;
}

const A = ARG;
/** Keyed by id; names come from HELPER_NAMES so one list fixes both. */
const DEFS: Record<number, Def> = {
  1: { ret: 'RET_PTR_TO_MAP_VALUE_OR_NULL', args: [A.mapPtr, A.mapKey], pkt: true, types: BASE },
  2: { args: [A.mapPtr, A.mapKey, A.mapValue, A.anything], pkt: true, types: BASE },
  3: { args: [A.mapPtr, A.mapKey], pkt: true, types: BASE },
  4: { args: [A.uninitMem, A.constSizeOrZero, A.anything], gpl: true, types: TRACING, note: 'compat: reads kernel or user memory' },
  5: { types: BASE },
  6: { args: [A.memRdonly, A.constSize], gpl: true, types: BASE, note: 'r3-r5 carry up to 3 format arguments but are not checked by the verifier; output goes to the trace pipe' },
  7: { types: BASE },
  8: { types: BASE },
  9: { args: [A.ctx, A.anything, A.memRdonly, A.constSize, A.anything], changesPkt: true, types: uniq(TC, ['lwt_xmit', 'sk_skb']) },
  10: { args: [A.ctx, A.anything, A.anything, A.anything, A.anything], changesPkt: true, types: uniq(TC, ['lwt_xmit']) },
  11: { args: [A.ctx, A.anything, A.anything, A.anything, A.anything], changesPkt: true, types: uniq(TC, ['lwt_xmit']) },
  12: { ret: 'RET_VOID', args: [A.ctx, A.mapPtr, A.anything], types: BASE, note: 'does not return on success; falls through when the slot is empty or 33 tail calls were made' },
  13: { args: [A.ctx, A.anything, A.anything], changesPkt: true, types: uniq(TC, ['lwt_xmit']) },
  14: { types: BASE },
  15: { types: BASE },
  16: { args: [A.uninitMem, A.constSize], types: BASE },
  17: { types: BASE, note: 'tc/lwt: the skb\'s classid (ARG_PTR_TO_CTX, TYPE_VARIANTS); other types: the current task\'s (bpf_get_cgroup_classid_curr from bpf_base_func_proto, no argument)' },
  18: { args: [A.ctx, A.anything, A.anything], changesPkt: true, types: TC },
  19: { args: [A.ctx], changesPkt: true, types: TC },
  20: { args: [A.ctx, A.uninitMem, A.constSize, A.anything], types: uniq(TC, ['lwt_xmit']) },
  21: { args: [A.ctx, A.memRdonly, A.constSize, A.anything], types: uniq(TC, ['lwt_xmit']) },
  22: { args: [A.mapPtr, A.anything], types: BASE },
  23: { args: [A.anything, A.anything], types: uniq(TC, ['xdp', 'lwt_xmit']), note: 'returns TC_ACT_REDIRECT (tc) / XDP_REDIRECT (xdp) on success' },
  24: { args: [A.ctx], types: uniq(TC, LWT) },
  25: { args: [A.ctx, A.mapPtr, A.anything, A.memRdonly, A.constSizeOrZero], gpl: true, types: uniq(SKB, TRACING, LWT, EVENT_OUTPUT_DATA, ['xdp']), note: 'skb/xdp variants append packet bytes when the upper 32 bits of flags are set' },
  26: { args: [A.ctx, A.anything, A.uninitMem, A.constSize], types: uniq(SKB, LWT, ['sk_reuseport', 'flow_dissector']) },
  27: { args: [A.ctx, A.mapPtr, A.anything], gpl: true, types: TRACING },
  28: { args: [A.memRdonlyOrNull, A.constSizeOrZero, A.memRdonlyOrNull, A.constSizeOrZero, A.anything], pkt: true, types: uniq(TC, ['xdp', 'lwt_in', 'lwt_out', 'lwt_xmit', 'lwt_seg6local']) },
  29: { args: [A.ctx, A.uninitMem, A.constSize], types: uniq(TC, ['lwt_xmit']) },
  30: { args: [A.ctx, A.memRdonly, A.constSize], types: uniq(TC, ['lwt_xmit']) },
  31: { args: [A.ctx, A.anything, A.anything], changesPkt: true, types: TC },
  32: { args: [A.ctx, A.anything], types: TC },
  33: { args: [A.ctx, A.mapPtr, A.anything], types: uniq(TC, LWT) },
  34: { args: [A.ctx], types: uniq(TC, LWT) },
  35: { types: uniq(BASE) },
  36: { args: [A.anything, A.memRdonly, A.constSize], gpl: true, types: [], note: 'tracing only, and refused under kernel lockdown (as on this host)' },
  37: { args: [A.mapPtr, A.anything], types: BASE },
  38: { args: [A.ctx, A.anything, A.anything], changesPkt: true, types: uniq(TC, ['sk_skb', 'lwt_xmit']) },
  39: { args: [A.ctx, A.anything], changesPkt: true, types: uniq(TC, LWT, ['sk_skb']) },
  40: { args: [A.ctx, A.anything], types: uniq(TC, ['lwt_xmit']) },
  41: { ret: 'RET_VOID', args: [A.ctx], types: uniq(TC, ['lwt_xmit']) },
  42: { types: BASE },
  43: { args: [A.ctx, A.anything, A.anything], changesPkt: true, types: uniq(TC, ['sk_skb', 'lwt_xmit']) },
  44: { args: [A.ctx, A.anything], changesPkt: true, types: ['xdp'] },
  45: { args: [A.uninitMem, A.constSizeOrZero, A.anything], gpl: true, types: TRACING },
  46: { args: [A.ctx], types: ['socket_filter', 'sched_cls', 'sched_act', 'cgroup_skb', 'sk_skb', 'cgroup_sock', 'cgroup_sock_addr', 'sock_ops'] },
  47: { args: [A.ctx], types: ['socket_filter', 'sched_cls', 'sched_act', 'cgroup_skb', 'sk_skb'] },
  48: { args: [A.ctx, A.anything], types: TC },
  49: { args: [A.ctx, A.anything, A.anything, A.memRdonly, A.constSize], types: ['sock_ops', 'cgroup_sock_addr', 'cgroup_sockopt'] },
  50: { args: [A.ctx, A.anything, A.anything, A.anything], changesPkt: true, types: uniq(TC, ['sk_skb']) },
  51: { args: [A.mapPtr, A.anything, A.anything], types: ['xdp'], note: 'lower 2 bits of flags: the action returned when the lookup fails' },
  52: { args: [A.ctx, A.mapPtr, A.anything, A.anything], types: ['sk_skb'] },
  53: { args: [A.ctx, A.mapPtr, A.mapKey, A.anything], types: ['sock_ops'] },
  54: { args: [A.ctx, A.anything], changesPkt: true, types: ['xdp'] },
  55: { args: [A.mapPtr, A.anything, A.uninitMem, A.constSize], types: BASE },
  56: { args: [A.ctx, A.uninitMem, A.constSize], types: ['perf_event'] },
  57: { args: [A.ctx, A.anything, A.anything, A.uninitMem, A.constSize], types: ['sock_ops', 'cgroup_sockopt', 'cgroup_sock_addr'] },
  58: { args: [A.ctx, A.anything], gpl: true, types: [], note: 'kprobe only, with CONFIG_BPF_KPROBE_OVERRIDE (not set on this host)' },
  59: { args: [A.ctx, A.anything], types: ['sock_ops'] },
  65: { args: [A.ctx, A.anything], changesPkt: true, types: ['xdp'] },
  66: { args: [A.ctx, A.anything, A.uninitMem, A.constSize, A.anything], types: TC },
  67: { args: [A.ctx, A.uninitMem, A.constSizeOrZero, A.anything], gpl: true, types: TRACING },
  68: { args: [A.ctx, A.anything, A.uninitMem, A.constSize, A.anything], types: ['socket_filter', 'sched_cls', 'sched_act', 'cgroup_skb', 'sk_reuseport'] },
  69: { args: [A.ctx, A.memWrite, A.constSize, A.anything], types: uniq(TC, ['xdp']) },
  79: { args: [A.ctx], types: uniq(TC, ['cgroup_skb']) },
  80: { types: BASE },
  70: { args: [A.ctx, A.mapPtr, A.mapKey, A.anything], types: ['sock_ops'] },
  71: { args: [A.ctx, A.mapPtr, A.mapKey, A.anything], types: ['sk_msg'] },
  72: { args: [A.ctx, A.mapPtr, A.mapKey, A.anything], types: ['sk_skb'] },
  // bpf_lwt_in_push_encap_proto / bpf_lwt_xmit_push_encap_proto (lwt_in_func_proto, lwt_xmit_func_proto)
  73: { args: [A.ctx, A.anything, A.memRdonly, A.constSize], changesPkt: true, types: ['lwt_in', 'lwt_xmit'], note: 'pushes an IP or SRH encapsulation header' },
  // lwt_seg6local_func_proto offers these only with CONFIG_IPV6_SEG6_BPF, which the reference 6.18 kernel lacks:
  // no program type may call them there ("program of this type cannot use helper")
  74: { args: [A.ctx, A.anything, A.memRdonly, A.constSize], changesPkt: true, types: [] },
  75: { args: [A.ctx, A.anything, A.anything], changesPkt: true, types: [] },
  76: { args: [A.ctx, A.anything, A.memRdonly, A.constSize], changesPkt: true, types: [] },
  81: { ret: 'RET_PTR_TO_MAP_VALUE', args: [A.mapPtr, A.anything], types: ['cgroup_skb', 'cgroup_sock', 'cgroup_sock_addr', 'cgroup_sockopt', 'cgroup_sysctl', 'cgroup_device', 'sock_ops'] },
  82: { args: [A.ctx, A.mapPtr, A.mapKey, A.anything], types: ['sk_reuseport'] },
  83: { args: [A.ctx, A.anything], types: uniq(TC, ['cgroup_skb']) },
  84: { ret: 'RET_PTR_TO_SOCKET_OR_NULL', args: [A.ctx, A.memRdonly, A.constSizeOrZero, A.anything, A.anything], pkt: true, types: uniq(TC, ['xdp', 'cgroup_skb', 'cgroup_sock_addr', 'sk_skb']) },
  85: { ret: 'RET_PTR_TO_SOCKET_OR_NULL', args: [A.ctx, A.memRdonly, A.constSizeOrZero, A.anything, A.anything], pkt: true, types: uniq(TC, ['xdp', 'cgroup_skb', 'cgroup_sock_addr', 'sk_skb']) },
  86: { args: [A.btfSockCommonRelease], types: uniq(TC, ['xdp', 'cgroup_skb', 'cgroup_sock_addr', 'sk_skb', 'sk_lookup']) },
  87: { args: [A.mapPtr, A.mapValue, A.anything], pkt: true, types: BASE },
  88: { args: [A.mapPtr, A.uninitMapValue], types: BASE },
  89: { args: [A.mapPtr, A.uninitMapValue], types: BASE },
  93: { ret: 'RET_VOID', args: [A.spinLock], types: BASE },
  94: { ret: 'RET_VOID', args: [A.spinLock], types: BASE },
  95: { ret: 'RET_PTR_TO_SOCKET_OR_NULL', args: [A.sockCommon], types: uniq(TC, ['cgroup_skb']) },
  96: { ret: 'RET_PTR_TO_TCP_SOCK_OR_NULL', args: [A.sockCommon], types: uniq(TC, ['cgroup_skb', 'sock_ops', 'cgroup_sockopt']) },
  97: { args: [A.ctx], types: uniq(TC, ['cgroup_skb']) },
  98: { ret: 'RET_PTR_TO_TCP_SOCK_OR_NULL', args: [A.sockCommon], types: uniq(TC, ['cgroup_skb']) },
  99: { ret: 'RET_PTR_TO_SOCK_COMMON_OR_NULL', args: [A.ctx, A.memRdonly, A.constSizeOrZero, A.anything, A.anything], pkt: true, types: uniq(TC, ['xdp', 'cgroup_skb', 'cgroup_sock_addr', 'sk_skb']) },
  100: { args: [A.btfSockCommon, A.memRdonly, A.constSize, A.memRdonly, A.constSize], gpl: true, pkt: true, types: uniq(TC, ['xdp']) },
  110: { args: [A.btfSockCommon, A.memRdonly, A.constSize, A.memRdonly, A.constSize], gpl: true, pkt: true, types: uniq(TC, ['xdp']), note: 'a SYN cookie (low 32 bits) and the MSS it encodes (high 32 bits) for a listening TCP socket and a SYN' },
  119: { args: [A.ctx, A.memOrNullWrite, A.constSizeOrZero, A.anything], gpl: true, types: ['perf_event'], note: 'copies the sample\'s branch stack (LBR); -ENOENT when the event samples none' },
  204: { args: [A.ipHdr, A.memRdonly, A.constSizeOrZero], gpl: true, pkt: true, types: uniq(TC, ['xdp']), note: 'a SYN cookie for the IPv4 SYN (keyed with the host\'s secret) and its MSS in the high 32 bits' },
  205: { args: [A.ipv6Hdr, A.memRdonly, A.constSizeOrZero], gpl: true, pkt: true, types: uniq(TC, ['xdp']), note: 'a SYN cookie for the IPv6 SYN (keyed with the host\'s secret) and its MSS in the high 32 bits' },
  206: { args: [A.ipHdr, A.tcpHdr], gpl: true, pkt: true, types: uniq(TC, ['xdp']), note: '0 when the ACK carries a valid cookie, else -EACCES' },
  207: { args: [A.ipv6Hdr, A.tcpHdr], gpl: true, pkt: true, types: uniq(TC, ['xdp']), note: '0 when the ACK carries a valid cookie, else -EACCES' },
  192: { args: [A.ctx, A.anything, A.anything], types: TC, note: 'sets skb->tstamp and its clock (BPF_SKB_CLOCK_REALTIME / MONOTONIC / TAI); IPv4 and IPv6 packets only' },
  105: { args: [A.memRdonly, A.constSize, A.anything, A.long], types: BASE },
  106: { args: [A.memRdonly, A.constSize, A.anything, A.long], types: BASE },
  107: { ret: 'RET_PTR_TO_MAP_VALUE_OR_NULL', args: [A.mapPtr, A.btfSockCommon, A.mapValueOrNull, A.anything], types: uniq(TC, ['cgroup_skb', 'cgroup_sock', 'cgroup_sock_addr', 'sock_ops', 'sk_msg', 'cgroup_sockopt']), note: 'cgroup_sock programs get a variant whose socket argument is the context (TYPE_VARIANTS)' },
  108: { args: [A.mapPtr, A.btfSockCommon], types: uniq(TC, ['cgroup_skb', 'cgroup_sock_addr', 'sock_ops', 'sk_msg', 'cgroup_sockopt']) },
  112: { args: [A.uninitMem, A.constSizeOrZero, A.anything], gpl: true, types: BASE },
  113: { args: [A.uninitMem, A.constSizeOrZero, A.anything], gpl: true, types: BASE },
  114: { args: [A.uninitMem, A.constSizeOrZero, A.anything], gpl: true, types: BASE },
  115: { args: [A.uninitMem, A.constSizeOrZero, A.anything], gpl: true, types: BASE },
  116: { args: [A.btfTcpSock, A.anything], types: [], note: 'offered only by bpf_tcp_ca_get_func_proto (struct_ops tcp_congestion_ops programs: src/verifier/struct-ops.ts)' },
  109: { args: [A.anything], types: BASE },
  117: { args: [A.anything], types: BASE },
  118: { types: BASE },
  120: { args: [A.anything, A.anything, A.uninitMem, A.constSize], types: BASE, note: 'fills struct bpf_pidns_info for the pid namespace given by dev and inode' },
  126: { args: [A.btfSeqFile, A.memRdonly, A.constSize, A.memRdonlyOrNull, A.constSizeOrZero], gpl: true, types: ['tracing'], note: 'iterator programs: prints to the seq_file' },
  127: { args: [A.btfSeqFile, A.memRdonly, A.constSizeOrZero], gpl: true, types: ['tracing'], note: 'iterator programs: writes to the seq_file' },
  122: { args: [A.ctxOrNull], types: uniq(TC, ['socket_filter', 'cgroup_skb', 'cgroup_sock', 'cgroup_sock_addr', 'sock_ops', 'sk_msg', 'cgroup_sockopt']) },
  123: { args: [A.anything], types: BASE },
  125: { types: BASE },
  130: { args: [A.mapPtr, A.memRdonly, A.constSizeOrZero, A.anything], types: BASE },
  131: { ret: 'RET_PTR_TO_RINGBUF_MEM_OR_NULL', args: [A.mapPtr, A.allocSizeOrZero, A.anything], types: BASE },
  132: { ret: 'RET_VOID', args: [A.ringbufMem, A.anything], types: BASE },
  133: { ret: 'RET_VOID', args: [A.ringbufMem, A.anything], types: BASE },
  134: { args: [A.mapPtr, A.anything], types: BASE },
  135: { args: [A.ctx, A.anything], types: uniq(TC, ['lwt_xmit']) },
  136: { ret: 'RET_PTR_TO_BTF_ID_OR_NULL', args: [A.btfSockCommon], types: SKC, note: 'struct tcp6_sock, or NULL' },
  137: { ret: 'RET_PTR_TO_BTF_ID_OR_NULL', args: [A.btfSockCommon], types: SKC, note: 'struct tcp_sock, or NULL' },
  138: { ret: 'RET_PTR_TO_BTF_ID_OR_NULL', args: [A.btfSockCommon], types: SKC, note: 'struct tcp_timewait_sock, or NULL' },
  139: { ret: 'RET_PTR_TO_BTF_ID_OR_NULL', args: [A.btfSockCommon], types: SKC, note: 'struct tcp_request_sock, or NULL' },
  140: { ret: 'RET_PTR_TO_BTF_ID_OR_NULL', args: [A.btfSockCommon], types: SKC, note: 'struct udp6_sock, or NULL' },
  141: { args: [A.btfTask, A.uninitMem, A.constSizeOrZero, A.anything], types: BASE },
  147: { args: [A.btfPath, A.memWrite, A.constSizeOrZero], types: ['tracing', 'lsm'], note: 'only from the attach points of btf_allowlist_d_path, iterators and sleepable LSM hooks (bpf_d_path_allowed)' },
  148: { args: [A.uninitMem, A.constSizeOrZero, A.anything], sleeps: true, types: BASE, note: 'reads user memory and may fault it in: sleepable programs only (a base helper in 6.18)' },
  152: { args: [A.anything, A.memRdonlyOrNull, A.constSizeOrZero, A.anything], types: TC },
  153: { ret: 'RET_PTR_TO_MEM_OR_BTF_ID_OR_NULL', args: [A.percpuBtfId, A.anything], types: BASE },
  154: { ret: 'RET_PTR_TO_MEM_OR_BTF_ID', args: [A.percpuBtfId], types: BASE },
  155: { args: [A.anything, A.anything], types: TC },
  158: { ret: 'RET_PTR_TO_BTF_ID', types: BASE },
  160: { types: BASE.filter((t) => !TRACING.includes(t) && !['cgroup_sockopt', 'cgroup_device', 'netfilter'].includes(t)), note: 'not NMI-safe, so tracing programs cannot call it' },
  163: { args: [A.ctx, A.anything, A.u32InOut, A.anything, A.anything], types: uniq(TC, ['xdp']) },
  164: { args: [A.mapPtr, A.func, A.stackOrNull, A.anything], types: BASE },
  165: { args: [A.memOrNullWrite, A.constSizeOrZero, A.constStr, A.memRdonlyOrNull, A.constSizeOrZero], gpl: true, types: BASE },
  169: { args: [A.timer, A.mapPtr, A.anything], gpl: true, types: BASE, note: 'the timer in a map value, initialised for that map' },
  170: { args: [A.timer, A.func], gpl: true, types: BASE, note: 'the callback runs later (asynchronously) with the map, key and value' },
  171: { args: [A.timer, A.anything, A.anything], gpl: true, types: BASE },
  172: { args: [A.timer], gpl: true, types: BASE },
  173: { args: [A.ctx], types: TRACING },
  174: { args: [A.ctx], types: ['kprobe', 'tracepoint', 'perf_event', 'raw_tracepoint', 'raw_tracepoint_writable', 'tracing', 'lsm'], note: 'the cookie given at attach time (0 here)' },
  176: { args: [A.uninitMem, A.constSizeOrZero, A.anything], gpl: true, types: BASE },
  177: { args: [A.memRdonly, A.constSize, A.memRdonlyOrNull, A.constSizeOrZero], gpl: true, types: BASE },
  178: { ret: 'RET_PTR_TO_BTF_ID_OR_NULL', args: [A.btfSockCommon], types: SKC, note: 'struct unix_sock, or NULL' },
  // bpf_skc_to_mptcp_sock_proto: unlike the other casts it takes ARG_PTR_TO_SOCK_COMMON (a socket of the context)
  196: { ret: 'RET_PTR_TO_BTF_ID_OR_NULL', args: [A.sockCommon], types: SKC, note: 'struct mptcp_sock, or NULL' },
  180: { args: [A.btfTask, A.anything, A.func, A.stackOrNull, A.anything], types: BASE, note: 'calls the callback (task, vma, ctx) once with the task\'s vma that holds addr, if any (-ENOENT otherwise)' },
  181: { args: [A.anything, A.func, A.stackOrNull, A.anything], types: BASE, note: 'calls the callback (u64 index, void *ctx) up to nr_loops (<= 1<<23) times; stops when it returns 1' },
  182: { args: [A.memRdonly, A.constSize, A.constStr], types: BASE },
  188: { args: [A.ctx], types: ['xdp'] },
  189: { args: [A.ctx, A.anything, A.uninitMem, A.constSize], types: ['xdp'] },
  190: { args: [A.ctx, A.anything, A.memRdonly, A.constSize], types: ['xdp'] },
  191: { args: [A.uninitMem, A.constSizeOrZero, A.anything, A.btfTask, A.anything], gpl: true, sleeps: true, types: BASE, note: 'reads another task\'s user memory: sleepable programs only (a base helper in 6.18)' },
  195: { ret: 'RET_PTR_TO_MAP_VALUE_OR_NULL', args: [A.mapPtr, A.mapKey, A.anything], pkt: true, types: BASE },
  // dynptrs (kernel/bpf/helpers.c, kernel/bpf/ringbuf.c): offered by bpf_base_func_proto (the ringbuf ones also without CAP_BPF)
  197: { args: [A.uninitMem, A.constSizeOrZero, A.anything, A.dynptrLocalUninit], types: BASE, note: 'the memory must be a map value (check_helper_call)' },
  198: { args: [A.mapPtr, A.anything, A.anything, A.dynptrRingbufUninit], types: BASE, note: 'the dynptr holds a reference even when the reservation fails: submit or discard it' },
  199: { ret: 'RET_VOID', args: [A.dynptrRingbufRelease, A.anything], types: BASE },
  200: { ret: 'RET_VOID', args: [A.dynptrRingbufRelease, A.anything], types: BASE },
  201: { args: [A.uninitMem, A.constSizeOrZero, A.dynptrRdonly, A.anything, A.anything], types: BASE },
  202: { args: [A.dynptrRdonly, A.anything, A.memRdonly, A.constSizeOrZero, A.anything], types: BASE, note: 'writing an skb dynptr may move the packet' },
  203: { ret: 'RET_PTR_TO_DYNPTR_MEM_OR_NULL', args: [A.dynptrRdonly, A.anything, A.allocSizeOrZero], types: BASE, note: 'NULL for read-only, skb and xdp dynptrs (use bpf_dynptr_slice there)' },
  208: { types: BASE },
  // local storage owned by a task, a cgroup or an inode (kernel/bpf/bpf_{task,cgrp,inode}_storage.c)
  156: { ret: 'RET_PTR_TO_MAP_VALUE_OR_NULL', args: [A.mapPtr, A.btfTaskOrNull, A.mapValueOrNull, A.anything], types: BASE },
  157: { args: [A.mapPtr, A.btfTaskOrNull], types: BASE },
  210: { ret: 'RET_PTR_TO_MAP_VALUE_OR_NULL', args: [A.mapPtr, A.btfCgroupOrNull, A.mapValueOrNull, A.anything], types: BASE },
  211: { args: [A.mapPtr, A.btfCgroupOrNull], types: BASE },
  145: { ret: 'RET_PTR_TO_MAP_VALUE_OR_NULL', args: [A.mapPtr, A.btfInodeOrNull, A.mapValueOrNull, A.anything], types: ['lsm'] },
  146: { args: [A.mapPtr, A.btfInodeOrNull], types: ['lsm'] },
  175: { ret: 'RET_PTR_TO_BTF_ID', args: [A.btfTask], gpl: true, types: BASE, note: 'the task\'s user-mode registers (struct pt_regs)' },
  // the traced function's arguments and return value: only programs with a trampoline (fentry/fexit/fmod_ret, lsm)
  183: { args: [A.ctx, A.anything, A.long], types: ['tracing', 'lsm'] },
  184: { args: [A.ctx, A.long], types: ['tracing', 'lsm'] },
  185: { args: [A.ctx], types: ['tracing', 'lsm'] },
  111: { args: [A.btfSkb, A.mapPtr, A.anything, A.memRdonlyOrNull, A.constSizeOrZero], gpl: true, types: ['tracing'] },
  121: { args: [A.btfXdpBuff, A.mapPtr, A.anything, A.memRdonlyOrNull, A.constSizeOrZero], gpl: true, types: ['tracing'] },
  162: { ret: 'RET_PTR_TO_BTF_ID_OR_NULL', args: [A.btfFile], types: ['tracing'], note: 'struct socket of a socket file, or NULL' },
  149: { args: [A.memWrite, A.constSize, A.memRdonly, A.constSize, A.anything], types: BASE },
  150: { args: [A.btfSeqFile, A.memRdonly, A.constSizeOrZero, A.anything], types: ['tracing'], note: 'iterator programs' },
  194: { ret: 'RET_PTR_TO_BTF_ID_OR_NULL', args: [A.kptrXchgDest, A.kptrXchgSrc], types: BASE, note: 'swaps a referenced kptr in a map value; the old pointer comes back holding the reference' },
  // sk_msg (net/core/filter.c sk_msg_func_proto)
  60: { args: [A.ctx, A.mapPtr, A.anything, A.anything], types: ['sk_msg'] },
  61: { args: [A.ctx, A.anything], types: ['sk_msg'] },
  62: { args: [A.ctx, A.anything], types: ['sk_msg'] },
  63: { args: [A.ctx, A.anything, A.anything, A.anything], changesPkt: true, types: ['sk_msg'] },
  90: { args: [A.ctx, A.anything, A.anything, A.anything], changesPkt: true, types: ['sk_msg'] },
  91: { args: [A.ctx, A.anything, A.anything, A.anything], changesPkt: true, types: ['sk_msg'] },
  // cgroup programs
  64: { args: [A.ctx, A.memRdonly, A.constSize], types: ['cgroup_sock_addr'] },
  186: { types: ['cgroup_sock', 'cgroup_sock_addr', 'cgroup_sockopt', 'cgroup_sysctl', 'cgroup_device'] },
  187: { args: [A.anything], types: ['cgroup_sock', 'cgroup_sock_addr', 'cgroup_sockopt', 'cgroup_sysctl', 'cgroup_device'] },
  128: { args: [A.btfSockCommon], types: ['cgroup_skb'] },
  129: { args: [A.btfSockCommon, A.anything], types: ['cgroup_skb'] },
  151: { args: [A.ctx], types: TC },
  124: { args: [A.ctx, A.btfSockCommon, A.anything], types: ['sched_cls', 'sched_act', 'sk_lookup'], note: 'sk_lookup programs pass a socket or NULL (bpf_sk_lookup_assign)' },
  // sysctl programs (kernel/bpf/cgroup.c sysctl_func_proto)
  101: { args: [A.ctx, A.memWrite, A.constSize, A.anything], types: ['cgroup_sysctl'] },
  102: { args: [A.ctx, A.uninitMem, A.constSize], types: ['cgroup_sysctl'] },
  103: { args: [A.ctx, A.uninitMem, A.constSize], types: ['cgroup_sysctl'] },
  104: { args: [A.ctx, A.memRdonly, A.constSize], types: ['cgroup_sysctl'] },
  // TCP header options (sock_ops)
  142: { args: [A.ctx, A.memWrite, A.constSize, A.anything], types: ['sock_ops'] },
  143: { args: [A.ctx, A.memRdonly, A.constSize, A.anything], types: ['sock_ops'] },
  144: { args: [A.ctx, A.anything, A.anything], types: ['sock_ops'] },
  // syscall programs (kernel/bpf/syscall.c syscall_prog_func_proto)
  166: { args: [A.anything, A.memRdonly, A.constSize], types: ['syscall'] },
  167: { args: [A.memRdonly, A.constSize, A.anything, A.anything], types: ['syscall'] },
  168: { args: [A.anything], types: ['syscall'] },
  179: { args: [A.memRdonly, A.constSize, A.anything, A.long], types: ['syscall'] },
  209: { args: [A.mapPtr, A.func, A.stackOrNull, A.anything], types: BASE, note: 'calls the callback (struct bpf_dynptr *sample, void *ctx) for each sample user space produced; stops when it returns 1' },
};

/** enum bpf_func_id names without the bpf_ prefix (index = id), from src/isa/helper-ids.ts. */
export const HELPER_NAMES: readonly string[] = ISA_HELPER_NAMES.map((n) => (n.startsWith('bpf_') ? n.slice(4) : n));

/** Highest helper id the kernel defines (__BPF_FUNC_MAX_ID - 1). */
export const MAX_HELPER_ID = HELPER_NAMES.length - 1;

/** Every HelperProto is made here, its fields in one order: one hidden class for all of them. */
function newHelperProto(id: number, name: string, ret: RetType, args: readonly ArgSpec[], gplOnly: boolean, pktAccess: boolean,
  changesPkt: boolean, mightSleep: boolean, progTypes: readonly ProgType[], note: string | undefined): HelperProto {
  return { id, name, ret, args, gplOnly, pktAccess, changesPkt, mightSleep, progTypes, note };
}

/**
 * `p` with other arguments and program types (a variant of it some program types get), of the
 * same hidden class (a spread copy is another one).
 */
export function helperProtoWith(p: HelperProto, args: readonly ArgSpec[], progTypes: readonly ProgType[]): HelperProto {
  return newHelperProto(p.id, p.name, p.ret, args, p.gplOnly, p.pktAccess, p.changesPkt, p.mightSleep, progTypes, p.note);
}

function build(): ReadonlyMap<number, HelperProto> {
  const m = new Map<number, HelperProto>();
  for (const [k, d] of Object.entries(DEFS)) {
    const id = Number(k);
    const name = HELPER_NAMES[id];
    if (name === undefined) throw new Error(`helper prototype ${id} has no name`);
    // `note` always present (undefined when the helper has none): a note added afterwards gave
    // the prototypes with one another hidden class, and the verifier's helper-call checks that
    // read them deoptimised ("wrong map") on the first helper of the other kind.
    m.set(id, newHelperProto(id, name, d.ret ?? 'RET_INTEGER', d.args ?? [], d.gpl ?? false, d.pkt ?? false, d.changesPkt ?? false,
      d.sleeps ?? false, d.types, d.note));
  }
  return m;
}

/** Every helper bpflab models, by id. */
export const HELPER_PROTOS: ReadonlyMap<number, HelperProto> = build();

/** The prototype of helper `id`, or undefined when bpflab does not model it. */
export function helperProto(id: number): HelperProto | undefined {
  return HELPER_PROTOS.get(id);
}

/**
 * Helpers whose get_func_proto gives some program types another prototype under the same id
 * (e.g. tracing_prog_func_proto's bpf_get_socket_ptr_cookie_proto for BPF_FUNC_get_socket_cookie).
 */
const TYPE_VARIANTS: Record<number, Partial<Record<ProgType, Pick<HelperProto, 'args'>>>> = {
  // bpf_get_cgroup_classid_proto (tc_cls_act_func_proto, lwt_out_func_proto): the skb's classid
  17: { sched_cls: { args: [ARG.ctx] }, sched_act: { args: [ARG.ctx] }, lwt_in: { args: [ARG.ctx] }, lwt_out: { args: [ARG.ctx] }, lwt_xmit: { args: [ARG.ctx] }, lwt_seg6local: { args: [ARG.ctx] } },
  // bpf_get_socket_ptr_cookie_proto (tracing_prog_func_proto, sk_reuseport_func_proto)
  46: { tracing: { args: [ARG.btfSockCommonMaybeNull] }, sk_reuseport: { args: [ARG.btfSockCommonMaybeNull] } },
  // bpf_sk_storage_get/delete_tracing_proto (the socket a BTF pointer; allowed per attach point: see helperNotAllowed)
  // bpf_sk_storage_get_cg_sock_proto (sock_filter_func_proto): a cgroup_sock program's context is the socket
  107: { tracing: { args: [ARG.mapPtr, ARG.btfSockCommonOrNull, ARG.mapValueOrNull, ARG.anything] }, cgroup_sock: { args: [ARG.mapPtr, ARG.ctx, ARG.mapValueOrNull, ARG.anything] } },
  108: { tracing: { args: [ARG.mapPtr, ARG.btfSockCommonBtf] } },
  124: { sk_lookup: { args: [ARG.ctx, ARG.socketOrNull, ARG.anything] } },
  // bpf_xdp_get_buff_len_trace_proto: the xdp_buff a traced function got
  188: { tracing: { args: [ARG.btfXdpBuff] } },
};

/**
 * Helpers bpflab has no prototype for, with the program types whose get_func_proto can hand them
 * out in the kernel (lirc_mode2_func_proto; bpf_lsm_func_proto, and tracing kept with lsm because
 * sleepable tracing programs cannot be checked against the kernel here: fentry loads get EPERM).
 * In any other type the kernel refuses the call before looking at its arguments, so the verdict
 * and message are known without a model.
 */
const UNMODELLED_HELPER_TYPES: Readonly<Record<number, readonly ProgType[]>> = {
  77: ['lirc_mode2'], // rc_repeat
  78: ['lirc_mode2'], // rc_keydown
  92: ['lirc_mode2'], // rc_pointer_rel
  159: ['lsm', 'tracing'], // bprm_opts_set
  161: ['lsm', 'tracing'], // ima_inode_hash
  193: ['lsm', 'tracing'], // ima_file_hash
};

/**
 * For a helper without a prototype here: whether a program of `type` could be offered it by the
 * kernel (true: bpflab cannot judge the call; false: the kernel refuses it for this type).
 */
export function unmodelledHelperOffered(id: number, type: ProgType): boolean {
  return UNMODELLED_HELPER_TYPES[id]?.includes(type) ?? true;
}

/** The prototype of helper `id` as a program of `type` sees it (helperProto with the per-type variants). */
export function helperProtoFor(id: number, type: ProgType): HelperProto | undefined {
  const base = HELPER_PROTOS.get(id);
  const v = TYPE_VARIANTS[id]?.[type];
  if (!base || !v) return base;
  return helperProtoWith(base, v.args, base.progTypes.includes(type) ? base.progTypes : [...base.progTypes, type]);
}

/** The kernel's name of helper `id` without the bpf_ prefix (e.g. "map_lookup_elem"), or undefined. */
export function helperName(id: number): string | undefined {
  return id >= 0 ? HELPER_NAMES[id] : undefined;
}

/** Helper id by name, with or without the "bpf_" prefix. */
export function helperId(name: string): number | undefined {
  const n = name.startsWith('bpf_') ? name.slice(4) : name;
  const i = HELPER_NAMES.indexOf(n);
  return i > 0 ? i : undefined;
}

/** Whether a program of type `type` may call helper `id` (the kernel's get_func_proto returning non-NULL). */
export function helperAllowed(id: number, type: ProgType): boolean {
  return HELPER_PROTOS.get(id)?.progTypes.includes(type) ?? false;
}

/**
 * Socket program contexts (net/core/filter.c): cgroup_sock (`struct bpf_sock`, 80 bytes),
 * cgroup_sock_addr (`struct bpf_sock_addr`, 72) and sock_ops (`struct bpf_sock_ops`, 224 in 6.18).
 * Several fields depend on the expected attach type, as in the kernel.
 */
import { type AccessKind, type AccessOptions, type CtxAccess, type CtxField, type CtxLayout, deny, field, fieldAt, narrowOk } from './types.js';

/** enum bpf_attach_type values these rules name. */
export const ATTACH = {
  CGROUP_INET_SOCK_CREATE: 2, CGROUP_INET_SOCK_RELEASE: 34, CGROUP_INET4_POST_BIND: 12, CGROUP_INET6_POST_BIND: 13,
  CGROUP_INET4_BIND: 8, CGROUP_INET6_BIND: 9, CGROUP_INET4_CONNECT: 10, CGROUP_INET6_CONNECT: 11,
  CGROUP_UDP4_SENDMSG: 14, CGROUP_UDP6_SENDMSG: 15, CGROUP_UDP4_RECVMSG: 19, CGROUP_UDP6_RECVMSG: 20,
  CGROUP_INET4_GETPEERNAME: 29, CGROUP_INET6_GETPEERNAME: 30, CGROUP_INET4_GETSOCKNAME: 31, CGROUP_INET6_GETSOCKNAME: 32,
} as const;

const inF = (fields: readonly CtxField[], off: number, name: string): boolean => {
  const f = fields.find((x) => x.name === name)!;
  return off >= f.off && off < f.off + f.size;
};

// ---------------- struct bpf_sock ----------------
export const BPF_SOCK_FIELDS: readonly CtxField[] = [
  field('bound_dev_if', 0, 4), field('family', 4, 4), field('type', 8, 4), field('protocol', 12, 4), field('mark', 16, 4),
  field('priority', 20, 4), field('src_ip4', 24, 4), field('src_ip6', 28, 16, 4), field('src_port', 44, 4), field('dst_port', 48, 2),
  field('dst_ip4', 52, 4), field('dst_ip6', 56, 16, 4), field('state', 72, 4), field('rx_queue_mapping', 76, 4),
];

/** bpf_sock_is_valid_access: sizes and narrow loads. */
export function bpfSockAccess(off: number, size: number): CtxAccess {
  const F = BPF_SOCK_FIELDS;
  if (off < 0 || off >= 80) return deny(`offset ${off} outside bpf_sock`);
  if (off % size !== 0) return deny(`misaligned ctx access off=${off} size=${size}`);
  const f = fieldAt(F, off);
  const narrow = ['state', 'family', 'type', 'protocol', 'src_port', 'rx_queue_mapping', 'src_ip4', 'src_ip6', 'dst_ip4', 'dst_ip6'];
  if (f && narrow.includes(f.name) && (f.elem === 4 && (f.name.endsWith('ip6') || f.name.endsWith('ip4') || off === f.off))) {
    return narrowOk(size, 4) ? { ok: true, field: f, fieldSize: 4 } : deny(`bad size ${size}`);
  }
  if (inF(F, off, 'dst_port') || off === 48 || off === 49) {
    const fs = size === 4 ? 4 : 2;
    return narrowOk(size, fs) ? { ok: true, field: F[9]!, fieldSize: fs } : deny(`bad size ${size}`);
  }
  if (off >= 50 && off < 52) return deny('padding in bpf_sock');
  return size === 4 ? { ok: true, field: f, fieldSize: 4 } : deny(`bpf_sock field needs a 4-byte access`);
}

/** sock_filter_is_valid_access (cgroup_sock): writes and some reads depend on the attach type. */
function cgroupSockAccess(off: number, size: number, kind: AccessKind, opts: AccessOptions = {}): CtxAccess {
  const a = bpfSockAccess(off, size);
  if (!a.ok) return a;
  // bpf_prog_load_fixup_attach_type: a cgroup_sock program loaded with 0 is a sock_create program
  const at = opts.expectedAttachType || ATTACH.CGROUP_INET_SOCK_CREATE;
  const F = BPF_SOCK_FIELDS;
  if (off === 0 || off === 16 || off === 20) {
    return at === ATTACH.CGROUP_INET_SOCK_CREATE || at === ATTACH.CGROUP_INET_SOCK_RELEASE ? a : deny(`${fieldAt(F, off)!.name} needs attach type sock_create or sock_release`);
  }
  if (inF(F, off, 'src_ip4')) return at === ATTACH.CGROUP_INET4_POST_BIND && kind === 'read' ? a : deny('src_ip4 is readable in inet4 post_bind only');
  if (inF(F, off, 'src_ip6')) return at === ATTACH.CGROUP_INET6_POST_BIND && kind === 'read' ? a : deny('src_ip6 is readable in inet6 post_bind only');
  if (inF(F, off, 'src_port')) return (at === ATTACH.CGROUP_INET4_POST_BIND || at === ATTACH.CGROUP_INET6_POST_BIND) && kind === 'read' ? a : deny('src_port is readable in post_bind only');
  return kind === 'read' ? a : deny('bpf_sock field is read-only');
}

export const CGROUP_SOCK_CTX: CtxLayout = { struct: 'bpf_sock', size: 80, fields: BPF_SOCK_FIELDS, access: cgroupSockAccess, ldAbs: false };

// ---------------- struct bpf_sock_addr ----------------
export const BPF_SOCK_ADDR_FIELDS: readonly CtxField[] = [
  field('user_family', 0, 4), field('user_ip4', 4, 4), field('user_ip6', 8, 16, 4), field('user_port', 24, 4), field('family', 28, 4),
  field('type', 32, 4), field('protocol', 36, 4), field('msg_src_ip4', 40, 4), field('msg_src_ip6', 44, 16, 4),
  field('sk', 64, 8, 8, 'socket'),
];

const A4 = [ATTACH.CGROUP_INET4_BIND, ATTACH.CGROUP_INET4_CONNECT, ATTACH.CGROUP_INET4_GETPEERNAME, ATTACH.CGROUP_INET4_GETSOCKNAME, ATTACH.CGROUP_UDP4_SENDMSG, ATTACH.CGROUP_UDP4_RECVMSG] as number[];
const A6 = [ATTACH.CGROUP_INET6_BIND, ATTACH.CGROUP_INET6_CONNECT, ATTACH.CGROUP_INET6_GETPEERNAME, ATTACH.CGROUP_INET6_GETSOCKNAME, ATTACH.CGROUP_UDP6_SENDMSG, ATTACH.CGROUP_UDP6_RECVMSG] as number[];

/** sock_addr_is_valid_access. The ctx `sk` load gives PTR_TO_SOCKET (never NULL here). */
function sockAddrAccess(off: number, size: number, kind: AccessKind, opts: AccessOptions = {}): CtxAccess {
  const F = BPF_SOCK_ADDR_FIELDS;
  const at = opts.expectedAttachType ?? ATTACH.CGROUP_INET4_CONNECT;
  if (off < 0 || off >= 72) return deny(`offset ${off} outside bpf_sock_addr`);
  if (off % size !== 0) return deny(`misaligned ctx access off=${off} size=${size}`);
  if (inF(F, off, 'user_ip4') && !A4.includes(at)) return deny('user_ip4 needs an inet4 attach type');
  if (inF(F, off, 'user_ip6') && !A6.includes(at)) return deny('user_ip6 needs an inet6 attach type');
  if (inF(F, off, 'msg_src_ip4') && at !== ATTACH.CGROUP_UDP4_SENDMSG) return deny('msg_src_ip4 needs udp4_sendmsg');
  if (inF(F, off, 'msg_src_ip6') && at !== ATTACH.CGROUP_UDP6_SENDMSG) return deny('msg_src_ip6 needs udp6_sendmsg');
  const f = fieldAt(F, off);
  // the 4 bytes of padding after msg_src_ip6 (before the 8-byte aligned sk) belong to no field
  if (!f) return deny(`offset ${off} is padding`);
  if (['user_ip4', 'user_ip6', 'msg_src_ip4', 'msg_src_ip6', 'user_port'].includes(f.name)) {
    const wide = size === 8 && (f.name === 'user_ip6' || f.name === 'msg_src_ip6') && off % 8 === 0 && off + 8 <= f.off + f.size;
    if (wide) return { ok: true, field: f, fieldSize: 4 };
    if (kind === 'read') return narrowOk(size, 4) ? { ok: true, field: f, fieldSize: 4 } : deny(`bad size ${size}`);
    return size === 4 ? { ok: true, field: f, fieldSize: 4 } : deny('writes need 4 bytes');
  }
  if (f.name === 'sk') return kind === 'read' && size === 8 ? { ok: true, field: f, pointer: 'socket', fieldSize: 8 } : deny('sk is a read-only pointer');
  return kind === 'read' && size === 4 ? { ok: true, field: f, fieldSize: 4 } : deny(`${f.name} is a read-only u32`);
}

export const CGROUP_SOCK_ADDR_CTX: CtxLayout = { struct: 'bpf_sock_addr', size: 72, fields: BPF_SOCK_ADDR_FIELDS, access: sockAddrAccess, ldAbs: false };

// ---------------- struct bpf_sock_ops ----------------
const U32_OPS = ['op', 'family', 'remote_ip4', 'local_ip4', 'remote_port', 'local_port', 'is_fullsock', 'snd_cwnd', 'srtt_us',
  'bpf_sock_ops_cb_flags', 'state', 'rtt_min', 'snd_ssthresh', 'rcv_nxt', 'snd_nxt', 'snd_una', 'mss_cache', 'ecn_flags',
  'rate_delivered', 'rate_interval_us', 'packets_out', 'retrans_out', 'total_retrans', 'segs_in', 'data_segs_in', 'segs_out',
  'data_segs_out', 'lost_out', 'sacked_out', 'sk_txhash'];
export const BPF_SOCK_OPS_FIELDS: readonly CtxField[] = [
  field('op', 0, 4), field('args', 4, 16, 4), field('family', 20, 4), field('remote_ip4', 24, 4), field('local_ip4', 28, 4),
  field('remote_ip6', 32, 16, 4), field('local_ip6', 48, 16, 4),
  ...U32_OPS.slice(4).map((n, i) => field(n, 64 + 4 * i, 4)),
  field('bytes_received', 168, 8), field('bytes_acked', 176, 8),
  // sock_ops_is_valid_access: PTR_TO_SOCKET_OR_NULL (NULL unless the op runs on a full socket)
  field('sk', 184, 8, 8, 'socket_or_null'),
  field('skb_data', 192, 8, 8, 'packet'), field('skb_data_end', 200, 8, 8, 'packet_end'), field('skb_len', 208, 4),
  field('skb_tcp_flags', 212, 4), field('skb_hwtstamp', 216, 8),
];

/** sock_ops_is_valid_access: writes only to reply (args[0]) and sk_txhash. */
function sockOpsAccess(off: number, size: number, kind: AccessKind): CtxAccess {
  const F = BPF_SOCK_OPS_FIELDS;
  if (off < 0 || off >= 224) return deny(`offset ${off} outside bpf_sock_ops`);
  if (off % size !== 0) return deny(`misaligned ctx access off=${off} size=${size}`);
  const f = fieldAt(F, off);
  if (kind === 'write') {
    if (off === 4 || off === 164) return size === 4 ? { ok: true, field: f, fieldSize: 4 } : deny('writes need 4 bytes');
    return deny(`sock_ops may only write reply and sk_txhash`);
  }
  if (!f) return deny(`no field at ${off}`);
  if (f.name === 'bytes_received' || f.name === 'bytes_acked' || f.name === 'skb_hwtstamp') return size === 8 ? { ok: true, field: f, fieldSize: 8 } : deny(`${f.name} is a u64`);
  if (f.pointer) {
    if (size !== 8) return deny(`${f.name} needs an 8-byte load`);
    return { ok: true, field: f, pointer: f.pointer, fieldSize: 8 };
  }
  // `case offsetof(struct bpf_sock_ops, skb_tcp_flags)`: one offset, not the field's range, so a
  // narrow load is allowed only at the field's first byte (others fall to the 4-byte default)
  if (f.name === 'skb_tcp_flags' && off === f.off) return narrowOk(size, 4) ? { ok: true, field: f, fieldSize: 4 } : deny(`bad size ${size}`);
  return size === 4 ? { ok: true, field: f, fieldSize: 4 } : deny(`${f.name} needs a 4-byte load`);
}

export const SOCK_OPS_CTX: CtxLayout = { struct: 'bpf_sock_ops', size: 224, fields: BPF_SOCK_OPS_FIELDS, access: sockOpsAccess, ldAbs: false };

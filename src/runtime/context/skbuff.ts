/**
 * `struct __sk_buff` (uapi, 192 bytes) and the access rules of socket_filter, sched_cls/sched_act
 * and cgroup_skb: bpf_skb_is_valid_access() plus each type's wrapper in net/core/filter.c.
 */
import { type AccessKind, type AccessOptions, type CtxAccess, type CtxField, type CtxLayout, deny, field, fieldAt, narrowOk } from './types.js';

export const SK_BUFF_SIZE = 192;

export const SK_BUFF_FIELDS: readonly CtxField[] = [
  field('len', 0, 4), field('pkt_type', 4, 4), field('mark', 8, 4), field('queue_mapping', 12, 4),
  field('protocol', 16, 4), field('vlan_present', 20, 4), field('vlan_tci', 24, 4), field('vlan_proto', 28, 4),
  field('priority', 32, 4), field('ingress_ifindex', 36, 4), field('ifindex', 40, 4), field('tc_index', 44, 4),
  field('cb', 48, 20, 4), field('hash', 68, 4), field('tc_classid', 72, 4),
  field('data', 76, 4, 4, 'packet'), field('data_end', 80, 4, 4, 'packet_end'),
  field('napi_id', 84, 4), field('family', 88, 4), field('remote_ip4', 92, 4), field('local_ip4', 96, 4),
  field('remote_ip6', 100, 16, 4), field('local_ip6', 116, 16, 4), field('remote_port', 132, 4), field('local_port', 136, 4),
  field('data_meta', 140, 4, 4, 'packet_meta'), field('flow_keys', 144, 8, 8, 'flow_keys'), field('tstamp', 152, 8),
  field('wire_len', 160, 4), field('gso_segs', 164, 4), field('sk', 168, 8, 8, 'sock_common_or_null'),
  field('gso_size', 176, 4), field('tstamp_type', 180, 1), field('hwtstamp', 184, 8),
];

const F = Object.fromEntries(SK_BUFF_FIELDS.map((f) => [f.name, f])) as Record<string, CtxField>;
const inField = (off: number, name: string): boolean => { const f = F[name]!; return off >= f.off && off < f.off + f.size; };
const inRange = (off: number, first: string, last: string): boolean => off >= F[first]!.off && off < F[last]!.off + F[last]!.size;

/**
 * Fields whose sk_buff member (bpf_convert_ctx_access's `*target_size`) is narrower than the uapi
 * u32: convert_ctx_accesses shifts and masks a narrow load only when it is narrower than the
 * member, so e.g. a u8 load anywhere in pkt_type (a 3-bit field loaded as u8) or a u16 load of
 * the upper half of protocol returns the whole value. Writes store only the member's width.
 */
export const SKB_TARGET_SIZE: Readonly<Record<string, number>> = {
  pkt_type: 1, queue_mapping: 2, protocol: 2, vlan_proto: 2, vlan_tci: 2, tc_index: 2, tc_classid: 2,
  family: 2, remote_port: 2, local_port: 2, gso_segs: 2, gso_size: 2,
};

/**
 * ctx_in of BPF_PROG_TEST_RUN for skb programs (convert___skb_to_skb): only these fields may be
 * non-zero; they are copied into the skb before the run and back into ctx_out after it.
 */
export const SKB_CTX_IN_FIELDS: readonly string[] = ['mark', 'priority', 'ingress_ifindex', 'ifindex', 'cb', 'tstamp', 'wire_len', 'gso_segs', 'gso_size', 'hwtstamp'];
/** The fields convert_skb_to___skb writes back into ctx_out. */
export const SKB_CTX_OUT_FIELDS: readonly string[] = SKB_CTX_IN_FIELDS;

/** BPF_CGROUP_INET_EGRESS, for cgroup_skb's return range. */
export const BPF_CGROUP_INET_EGRESS = 1;

/** bpf_skb_is_valid_access: the rules common to every __sk_buff program type. */
function skbCommon(off: number, size: number, kind: AccessKind, opts: AccessOptions, pointer?: CtxField['pointer']): CtxAccess {
  if (off < 0 || off >= SK_BUFF_SIZE) return deny(`offset ${off} outside __sk_buff`);
  if (off % size !== 0) return deny(`misaligned ctx access off=${off} size=${size}`);
  const f = fieldAt(SK_BUFF_FIELDS, off);
  if (inRange(off, 'cb', 'cb')) {
    if (off + size > F['cb']!.off + F['cb']!.size) return deny('access past cb[4]');
    return { ok: true, field: f, fieldSize: size };
  }
  if (inField(off, 'data') || inField(off, 'data_meta') || inField(off, 'data_end')) {
    if (opts.isLdsx || size !== 4) return deny(`pointer field ${f!.name} needs a 4-byte load`);
    const r: CtxAccess = { ok: true, field: f, fieldSize: 4 };
    if (pointer) r.pointer = pointer;
    return r;
  }
  if (inField(off, 'flow_keys')) return deny('flow_keys is only for flow dissector programs');
  if (inField(off, 'hwtstamp')) {
    if (kind === 'write' || size !== 8) return deny('hwtstamp is a read-only u64');
    return { ok: true, field: f, fieldSize: 8 };
  }
  if (inField(off, 'tstamp')) {
    if (size !== 8) return deny('tstamp needs an 8-byte access');
    return { ok: true, field: f, fieldSize: 8 };
  }
  if (inField(off, 'sk')) {
    if (kind === 'write' || size !== 8 || off !== F['sk']!.off) return deny('sk is a read-only pointer');
    return { ok: true, field: f, pointer: 'sock_common_or_null', fieldSize: 8 };
  }
  if (off === F['tstamp_type']!.off) return deny('tstamp_type is only for tc programs');
  if (off > F['tstamp_type']!.off && off < F['hwtstamp']!.off) return deny('padding in __sk_buff');
  if (kind === 'write') {
    if (size !== 4) return deny(`ctx write of ${size} bytes to ${f?.name ?? off}`);
  } else if (!narrowOk(size, 4)) return deny(`ctx read of ${size} bytes from ${f?.name ?? off}`);
  return { ok: true, field: f, fieldSize: 4 };
}

/** sk_filter_is_valid_access (socket_filter). */
function socketFilterAccess(off: number, size: number, kind: AccessKind, opts: AccessOptions = {}): CtxAccess {
  for (const n of ['tc_classid', 'data', 'data_meta', 'data_end', 'tstamp', 'wire_len', 'hwtstamp'])
    if (inField(off, n)) return deny(`${n} is not accessible from socket filters`);
  if (inRange(off, 'family', 'local_port')) return deny('socket fields are not accessible from socket filters');
  if (kind === 'write' && !inField(off, 'cb')) return deny('socket filters may only write cb[]');
  return skbCommon(off, size, kind, opts);
}

/** tc_cls_act_is_valid_access (sched_cls, sched_act). */
function tcAccess(off: number, size: number, kind: AccessKind, opts: AccessOptions = {}): CtxAccess {
  if (kind === 'write') {
    const ok = ['mark', 'tc_index', 'priority', 'tc_classid', 'cb', 'tstamp', 'queue_mapping'].some((n) => inField(off, n));
    if (!ok) return deny(`tc programs may not write ${fieldAt(SK_BUFF_FIELDS, off)?.name ?? `offset ${off}`}`);
  }
  if (inField(off, 'data')) return skbCommon(off, size, kind, opts, 'packet');
  if (inField(off, 'data_meta')) return skbCommon(off, size, kind, opts, 'packet_meta');
  if (inField(off, 'data_end')) return skbCommon(off, size, kind, opts, 'packet_end');
  if (inRange(off, 'family', 'local_port')) return deny('socket fields are not accessible from tc programs');
  if (off === F['tstamp_type']!.off) return size === 1 ? { ok: true, field: F['tstamp_type']!, fieldSize: 1 } : deny('tstamp_type is a u8');
  return skbCommon(off, size, kind, opts);
}

/** cg_skb_is_valid_access (cgroup_skb; we run as root, so CAP_BPF / CAP_SYS_ADMIN hold). */
function cgroupSkbAccess(off: number, size: number, kind: AccessKind, opts: AccessOptions = {}): CtxAccess {
  for (const n of ['tc_classid', 'data_meta', 'wire_len']) if (inField(off, n)) return deny(`${n} is not accessible from cgroup_skb`);
  if (kind === 'write' && !['mark', 'priority', 'cb', 'tstamp'].some((n) => inField(off, n)))
    return deny(`cgroup_skb may not write ${fieldAt(SK_BUFF_FIELDS, off)?.name ?? `offset ${off}`}`);
  if (inField(off, 'data')) return skbCommon(off, size, kind, opts, 'packet');
  if (inField(off, 'data_end')) return skbCommon(off, size, kind, opts, 'packet_end');
  // the addresses have no narrow conversion (bpf_skb_is_valid_access: size must be size_default)
  if (inRange(off, 'remote_ip4', 'local_ip6') && size !== 4) return deny(`${fieldAt(SK_BUFF_FIELDS, off)!.name} needs a 4-byte access`);
  return skbCommon(off, size, kind, opts);
}

/** lwt_is_valid_access (lwt_in, lwt_out, lwt_xmit, lwt_seg6local). */
function lwtAccess(off: number, size: number, kind: AccessKind, opts: AccessOptions = {}): CtxAccess {
  for (const n of ['tc_classid', 'data_meta', 'tstamp', 'wire_len', 'hwtstamp']) if (inField(off, n)) return deny(`${n} is not accessible from lwt programs`);
  if (inRange(off, 'family', 'local_port')) return deny('socket fields are not accessible from lwt programs');
  if (kind === 'write' && !['mark', 'priority', 'cb'].some((n) => inField(off, n)))
    return deny(`lwt programs may not write ${fieldAt(SK_BUFF_FIELDS, off)?.name ?? `offset ${off}`}`);
  if (inField(off, 'data')) return skbCommon(off, size, kind, opts, 'packet');
  if (inField(off, 'data_end')) return skbCommon(off, size, kind, opts, 'packet_end');
  return skbCommon(off, size, kind, opts);
}

/** sk_skb_is_valid_access (sk_skb stream parser / verdict programs). */
function skSkbAccess(off: number, size: number, kind: AccessKind, opts: AccessOptions = {}): CtxAccess {
  for (const n of ['tc_classid', 'data_meta', 'tstamp', 'wire_len', 'hwtstamp']) if (inField(off, n)) return deny(`${n} is not accessible from sk_skb programs`);
  if (kind === 'write' && !['tc_index', 'priority'].some((n) => inField(off, n)))
    return deny(`sk_skb programs may not write ${fieldAt(SK_BUFF_FIELDS, off)?.name ?? `offset ${off}`}`);
  if (inField(off, 'mark')) return deny('mark is not accessible from sk_skb programs');
  if (inField(off, 'data')) return skbCommon(off, size, kind, opts, 'packet');
  if (inField(off, 'data_end')) return skbCommon(off, size, kind, opts, 'packet_end');
  if (inRange(off, 'remote_ip4', 'local_ip6') && size !== 4) return deny(`${fieldAt(SK_BUFF_FIELDS, off)!.name} needs a 4-byte access`);
  return skbCommon(off, size, kind, opts);
}

/** flow_dissector_is_valid_access: reads of data, data_end and flow_keys only. */
function flowDissectorAccess(off: number, size: number, kind: AccessKind, opts: AccessOptions = {}): CtxAccess {
  if (off < 0 || off >= SK_BUFF_SIZE) return deny(`offset ${off} outside __sk_buff`);
  if (kind === 'write') return deny('flow dissector programs may not write the context');
  // (6.18 refuses a pointer field loaded from inside it: data + 1 is no pointer)
  if (off % size !== 0) return deny(`misaligned ctx access off=${off} size=${size}`);
  if (inField(off, 'data') || inField(off, 'data_end')) {
    if (opts.isLdsx || size !== 4) return deny(`pointer field ${fieldAt(SK_BUFF_FIELDS, off)!.name} needs a 4-byte load`);
    return { ok: true, field: fieldAt(SK_BUFF_FIELDS, off), fieldSize: 4, pointer: inField(off, 'data') ? 'packet' : 'packet_end' };
  }
  if (inField(off, 'flow_keys')) {
    if (size !== 8) return deny('flow_keys needs an 8-byte load');
    return { ok: true, field: F['flow_keys']!, fieldSize: 8, pointer: 'flow_keys' };
  }
  return deny(`flow dissector programs may not read ${fieldAt(SK_BUFF_FIELDS, off)?.name ?? `offset ${off}`}`);
}

const base = { struct: '__sk_buff', size: SK_BUFF_SIZE, fields: SK_BUFF_FIELDS };
export const LWT_CTX: CtxLayout = { ...base, access: lwtAccess, ldAbs: false };
export const SK_SKB_CTX: CtxLayout = { ...base, access: skSkbAccess, ldAbs: false };
export const FLOW_DISSECTOR_CTX: CtxLayout = { ...base, access: flowDissectorAccess, ldAbs: false };
export const SOCKET_FILTER_CTX: CtxLayout = { ...base, access: socketFilterAccess, ldAbs: true };
export const TC_CTX: CtxLayout = { ...base, access: tcAccess, ldAbs: true };
export const CGROUP_SKB_CTX: CtxLayout = { ...base, access: cgroupSkbAccess, ldAbs: false };

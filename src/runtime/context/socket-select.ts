/**
 * The contexts of the two program types that choose a socket (net/core/filter.c):
 * sk_lookup (`struct bpf_sk_lookup`, sk_lookup_is_valid_access) and sk_reuseport
 * (`struct sk_reuseport_md`, sk_reuseport_is_valid_access). Both are read-only, need
 * `off % size == 0`, and turn their socket fields into socket pointers.
 */
import { deny, field, fieldAt, narrowOk, type AccessKind, type CtxAccess, type CtxField, type CtxLayout } from './types.js';

export const BPF_SK_LOOKUP_FIELDS: readonly CtxField[] = [
  field('sk', 0, 8, 8, 'socket_or_null'), // a union with __u64 cookie
  field('family', 8, 4), field('protocol', 12, 4), field('remote_ip4', 16, 4), field('remote_ip6', 20, 16, 4),
  field('remote_port', 36, 2), field('remote_port_pad', 38, 2), // __be16 then 16 bits of zero padding
  field('local_ip4', 40, 4), field('local_ip6', 44, 16, 4), field('local_port', 60, 4), field('ingress_ifindex', 64, 4),
];
const SK_LOOKUP_SIZE = 72;

function skLookupAccess(off: number, size: number, kind: AccessKind): CtxAccess {
  if (off < 0 || off >= SK_LOOKUP_SIZE) return deny(`offset ${off} outside bpf_sk_lookup`);
  if (off % size !== 0) return deny(`misaligned ctx access off=${off} size=${size}`);
  if (kind === 'write') return deny('bpf_sk_lookup is read-only');
  const f = fieldAt(BPF_SK_LOOKUP_FIELDS, off);
  if (!f) return deny(`no field at ${off}`);
  if (f.pointer) return size === 8 ? { ok: true, field: f, pointer: f.pointer, fieldSize: 8 } : deny('sk needs an 8-byte load');
  // a 4-byte load of the 16-bit remote_port is kept for programs written before it shrank
  if (f.name === 'remote_port' && size === 4) return { ok: true, field: f, fieldSize: 4 };
  const width = f.name === 'remote_port' || f.name === 'remote_port_pad' ? 2 : 4;
  return narrowOk(size, width) ? { ok: true, field: f, fieldSize: width } : deny(`bad size ${size} for ${f.name}`);
}

export const SK_LOOKUP_CTX: CtxLayout = { struct: 'bpf_sk_lookup', size: SK_LOOKUP_SIZE, fields: BPF_SK_LOOKUP_FIELDS, access: skLookupAccess, ldAbs: false };

export const SK_REUSEPORT_MD_FIELDS: readonly CtxField[] = [
  field('data', 0, 8, 8, 'packet'), field('data_end', 8, 8, 8, 'packet_end'),
  field('len', 16, 4), field('eth_protocol', 20, 4), field('ip_protocol', 24, 4), field('bind_inany', 28, 4), field('hash', 32, 4),
  field('sk', 40, 8, 8, 'socket'), field('migrating_sk', 48, 8, 8, 'sock_common_or_null'),
];
const SK_REUSEPORT_MD_SIZE = 56;

function skReuseportAccess(off: number, size: number, kind: AccessKind): CtxAccess {
  if (off < 0 || off >= SK_REUSEPORT_MD_SIZE) return deny(`offset ${off} outside sk_reuseport_md`);
  if (off % size !== 0) return deny(`misaligned ctx access off=${off} size=${size}`);
  if (kind === 'write') return deny('sk_reuseport_md is read-only');
  const f = fieldAt(SK_REUSEPORT_MD_FIELDS, off);
  if (!f) return deny(`no field at ${off}`);
  if (f.pointer) return size === 8 && off === f.off ? { ok: true, field: f, pointer: f.pointer, fieldSize: 8 } : deny(`${f.name} needs an 8-byte load`);
  if (f.name === 'hash') return size === 4 ? { ok: true, field: f, fieldSize: 4 } : deny('hash needs a 4-byte load');
  // eth_protocol is skb->protocol, a __be16: nothing narrower than that
  if (f.name === 'eth_protocol' && size < 2) return deny('eth_protocol needs at least 2 bytes');
  return narrowOk(size, 4) ? { ok: true, field: f, fieldSize: 4 } : deny(`bad size ${size} for ${f.name}`);
}

export const SK_REUSEPORT_CTX: CtxLayout = { struct: 'sk_reuseport_md', size: SK_REUSEPORT_MD_SIZE, fields: SK_REUSEPORT_MD_FIELDS, access: skReuseportAccess, ldAbs: false };

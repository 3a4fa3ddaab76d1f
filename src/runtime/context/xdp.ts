/** `struct xdp_md` (24 bytes) and xdp_is_valid_access: read-only u32 fields, three become packet pointers. */
import { type AccessKind, type AccessOptions, type CtxAccess, type CtxField, type CtxLayout, deny, field, fieldAt } from './types.js';

export const XDP_MD_SIZE = 24;
/** BPF_XDP_DEVMAP: only devmap programs may read egress_ifindex. */
export const BPF_XDP_DEVMAP = 33;

export const XDP_MD_FIELDS: readonly CtxField[] = [
  field('data', 0, 4, 4, 'packet'), field('data_end', 4, 4, 4, 'packet_end'), field('data_meta', 8, 4, 4, 'packet_meta'),
  field('ingress_ifindex', 12, 4), field('rx_queue_index', 16, 4), field('egress_ifindex', 20, 4),
];

function xdpAccess(off: number, size: number, kind: AccessKind, opts: AccessOptions = {}): CtxAccess {
  if (off === 20 && opts.expectedAttachType !== BPF_XDP_DEVMAP) return deny('egress_ifindex is only for devmap programs');
  if (kind === 'write') return deny('xdp_md is read-only');
  if (off < 0 || off >= XDP_MD_SIZE) return deny(`offset ${off} outside xdp_md`);
  if (off % size !== 0) return deny(`misaligned ctx access off=${off} size=${size}`);
  if (size !== 4) return deny(`xdp_md fields need 4-byte loads (got ${size})`);
  const f = fieldAt(XDP_MD_FIELDS, off)!;
  if (f.pointer && opts.isLdsx) return deny(`pointer field ${f.name} cannot be sign-extended`);
  return f.pointer ? { ok: true, field: f, pointer: f.pointer, fieldSize: 4 } : { ok: true, field: f, fieldSize: 4 };
}

export const XDP_CTX: CtxLayout = { struct: 'xdp_md', size: XDP_MD_SIZE, fields: XDP_MD_FIELDS, access: xdpAccess, ldAbs: false };

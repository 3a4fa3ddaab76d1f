/**
 * The context of sk_msg programs (`struct sk_msg_md`, net/core/filter.c sk_msg_is_valid_access):
 * read-only, `off % size == 0`; data/data_end are the message's packet pointers and sk its socket
 * (8-byte loads only); every other field is read whole, 4 bytes at a time (no narrow loads).
 */
import { deny, field, fieldAt, type AccessKind, type CtxAccess, type CtxField, type CtxLayout } from './types.js';

export const SK_MSG_MD_FIELDS: readonly CtxField[] = [
  field('data', 0, 8, 8, 'packet'), field('data_end', 8, 8, 8, 'packet_end'),
  field('family', 16, 4), field('remote_ip4', 20, 4), field('local_ip4', 24, 4),
  field('remote_ip6', 28, 16, 4), field('local_ip6', 44, 16, 4),
  field('remote_port', 60, 4), field('local_port', 64, 4), field('size', 68, 4),
  field('sk', 72, 8, 8, 'socket'),
];
const SK_MSG_MD_SIZE = 80;

function skMsgAccess(off: number, size: number, kind: AccessKind): CtxAccess {
  if (kind === 'write') return deny('sk_msg_md is read-only');
  if (off < 0 || off >= SK_MSG_MD_SIZE) return deny(`offset ${off} outside sk_msg_md`);
  if (off % size !== 0) return deny(`misaligned ctx access off=${off} size=${size}`);
  const f = fieldAt(SK_MSG_MD_FIELDS, off);
  if (!f) return deny(`no field at ${off}`);
  if (f.pointer) return size === 8 && off === f.off ? { ok: true, field: f, pointer: f.pointer, fieldSize: 8 } : deny(`${f.name} needs an 8-byte load`);
  return size === 4 ? { ok: true, field: f, fieldSize: 4 } : deny(`${f.name} needs a 4-byte load`);
}

export const SK_MSG_CTX: CtxLayout = { struct: 'sk_msg_md', size: SK_MSG_MD_SIZE, fields: SK_MSG_MD_FIELDS, access: skMsgAccess, ldAbs: false };

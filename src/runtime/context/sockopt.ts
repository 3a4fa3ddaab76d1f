/**
 * The context of cgroup_sockopt programs (`struct bpf_sockopt`, kernel/bpf/cgroup.c
 * cg_sockopt_is_valid_access): `off % size == 0`; sk (a socket), optval and optval_end (the
 * option buffer as packet pointers) are loaded whole, 8 bytes; level, optname, optlen and retval
 * 4 bytes (no narrow loads). retval is for getsockopt programs only. A program may write optlen,
 * a getsockopt program retval, a setsockopt program level and optname (4 bytes each).
 */
import { deny, field, fieldAt, type AccessKind, type AccessOptions, type CtxAccess, type CtxField, type CtxLayout } from './types.js';

/** enum bpf_attach_type of the two hooks. */
export const BPF_CGROUP_GETSOCKOPT = 21;
export const BPF_CGROUP_SETSOCKOPT = 22;

export const BPF_SOCKOPT_FIELDS: readonly CtxField[] = [
  field('sk', 0, 8, 8, 'socket'), field('optval', 8, 8, 8, 'packet'), field('optval_end', 16, 8, 8, 'packet_end'),
  field('level', 24, 4), field('optname', 28, 4), field('optlen', 32, 4), field('retval', 36, 4),
];
const BPF_SOCKOPT_SIZE = 40;

function sockoptAccess(off: number, size: number, kind: AccessKind, opts: AccessOptions = {}): CtxAccess {
  if (off < 0 || off >= BPF_SOCKOPT_SIZE) return deny(`offset ${off} outside bpf_sockopt`);
  if (off % size !== 0) return deny(`misaligned ctx access off=${off} size=${size}`);
  // The kernel refuses to load a cgroup_sockopt program for any other hook.
  const get = (opts.expectedAttachType ?? BPF_CGROUP_GETSOCKOPT) === BPF_CGROUP_GETSOCKOPT;
  const f = fieldAt(BPF_SOCKOPT_FIELDS, off)!;
  const whole: CtxAccess = { ok: true, field: f, fieldSize: f.size };
  if (kind === 'write') {
    if (off !== f.off || size !== 4) return deny(`${f.name} is not writable ${size} bytes at ${off}`);
    switch (f.name) {
      case 'retval': return get ? whole : deny('retval is written by getsockopt programs only');
      case 'level': case 'optname': return get ? deny(`${f.name} is written by setsockopt programs only`) : whole;
      case 'optlen': return whole;
      default: return deny(`${f.name} is read-only`);
    }
  }
  if (f.pointer) return size === 8 ? { ...whole, pointer: f.pointer } : deny(`${f.name} needs an 8-byte load`);
  if (size !== 4) return deny(`${f.name} needs a 4-byte load`);
  return f.name === 'retval' && !get ? deny('retval is read by getsockopt programs only') : whole;
}

export const CGROUP_SOCKOPT_CTX: CtxLayout = { struct: 'bpf_sockopt', size: BPF_SOCKOPT_SIZE, fields: BPF_SOCKOPT_FIELDS, access: sockoptAccess, ldAbs: false };

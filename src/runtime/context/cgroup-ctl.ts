/**
 * The contexts of the cgroup programs that allow or deny an operation by its parameters
 * (kernel/bpf/cgroup.c): device access (`struct bpf_cgroup_dev_ctx`, cgroup_dev_is_valid_access),
 * read-only, whole 4-byte fields but access_type, which may be read narrower; and sysctl
 * access (`struct bpf_sysctl`, sysctl_is_valid_access): `write` is read-only, `file_pos` may
 * also be written (4 bytes), both may be read narrower. Both need `off % size == 0`.
 */
import { deny, field, fieldAt, narrowOk, type AccessKind, type CtxAccess, type CtxField, type CtxLayout } from './types.js';

export const BPF_CGROUP_DEV_CTX_FIELDS: readonly CtxField[] = [field('access_type', 0, 4), field('major', 4, 4), field('minor', 8, 4)];
const DEV_CTX_SIZE = 12;

function devAccess(off: number, size: number, kind: AccessKind): CtxAccess {
  if (kind === 'write') return deny('bpf_cgroup_dev_ctx is read-only');
  if (off < 0 || off + size > DEV_CTX_SIZE) return deny(`[${off}, +${size}) outside bpf_cgroup_dev_ctx`);
  if (off % size !== 0) return deny(`misaligned ctx access off=${off} size=${size}`);
  const f = fieldAt(BPF_CGROUP_DEV_CTX_FIELDS, off)!;
  if (f.name === 'access_type') return narrowOk(size, 4) ? { ok: true, field: f, fieldSize: 4 } : deny(`bad size ${size} for access_type`);
  return size === 4 ? { ok: true, field: f, fieldSize: 4 } : deny(`${f.name} needs a 4-byte load`);
}

export const CGROUP_DEVICE_CTX: CtxLayout = { struct: 'bpf_cgroup_dev_ctx', size: DEV_CTX_SIZE, fields: BPF_CGROUP_DEV_CTX_FIELDS, access: devAccess, ldAbs: false };

export const BPF_SYSCTL_FIELDS: readonly CtxField[] = [field('write', 0, 4), field('file_pos', 4, 4)];
const SYSCTL_SIZE = 8;

function sysctlAccess(off: number, size: number, kind: AccessKind): CtxAccess {
  if (off < 0 || off + size > SYSCTL_SIZE || off % size !== 0) return deny(`bad access off=${off} size=${size} to bpf_sysctl`);
  const f = fieldAt(BPF_SYSCTL_FIELDS, off)!;
  if (kind === 'write') {
    if (f.name !== 'file_pos') return deny('write is read-only');
    return size === 4 ? { ok: true, field: f, fieldSize: 4 } : deny('file_pos is written 4 bytes at a time');
  }
  return narrowOk(size, 4) ? { ok: true, field: f, fieldSize: 4 } : deny(`bad size ${size} for ${f.name}`);
}

export const CGROUP_SYSCTL_CTX: CtxLayout = { struct: 'bpf_sysctl', size: SYSCTL_SIZE, fields: BPF_SYSCTL_FIELDS, access: sysctlAccess, ldAbs: false };

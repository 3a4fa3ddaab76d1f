/**
 * Context layouts: what a program's r1 points to, per program type, as the uapi structs define
 * them (`struct __sk_buff`, `struct xdp_md`, `struct pt_regs`, ...), and which accesses the
 * kernel's `is_valid_access` callbacks allow (net/core/filter.c, kernel/trace/bpf_trace.c).
 *
 * The verifier asks `layout.access(off, size, kind)` exactly where the kernel calls
 * `env->ops->is_valid_access`; the VM builds the context region from the same layout.
 */
import type { ProgType } from '../../isa/program.js';

/** What a ctx load produces besides a scalar: the kernel's `info->reg_type`. */
export type CtxPointerKind =
  | 'packet' // PTR_TO_PACKET (data)
  | 'packet_end' // PTR_TO_PACKET_END (data_end)
  | 'packet_meta' // PTR_TO_PACKET_META (data_meta)
  | 'sock_common_or_null' // PTR_TO_SOCK_COMMON_OR_NULL (__sk_buff.sk)
  | 'flow_keys' // PTR_TO_FLOW_KEYS (flow dissector only)
  | 'socket' // PTR_TO_SOCKET (sk_reuseport_md.sk)
  | 'socket_or_null' // PTR_TO_SOCKET_OR_NULL (bpf_sk_lookup.sk: the socket selected so far)
  | 'btf_trusted' // PTR_TO_BTF_ID | PTR_TRUSTED of the field's `btfStruct` (netfilter's skb and state)
  | 'tp_buffer'; // PTR_TO_TP_BUFFER (a writable raw tracepoint's first argument)

export interface CtxField {
  name: string;
  /** Byte offset in the uapi struct. */
  off: number;
  /** Size in bytes (for arrays: the whole array, e.g. cb[5] is 20). */
  size: number;
  /** Element size for array fields (cb[], remote_ip6[]); equals size otherwise. */
  elem: number;
  /** Set when a load of this field yields a pointer rather than a scalar. */
  pointer?: CtxPointerKind;
  /** For `btf_trusted` pointers: the kernel struct pointed to (found by name in the target's BTF). */
  btfStruct?: string;
}

export type AccessKind = 'read' | 'write';

export interface AccessOptions {
  /** The program's expected_attach_type (cgroup_skb egress, xdp devmap, ...). */
  expectedAttachType?: number;
  /** The load is a sign-extending load (BPF_MEMSX): the kernel refuses it for pointer fields. */
  isLdsx?: boolean;
}

/** Outcome of an is_valid_access check. */
export type CtxAccess =
  | { ok: true; field: CtxField | null; pointer?: CtxPointerKind; /** the field's full size (bpf_ctx_record_field_size) for narrow loads */ fieldSize: number }
  | { ok: false; reason: string };

export interface CtxLayout {
  /** The uapi struct's name, e.g. "__sk_buff". */
  struct: string;
  /** sizeof the struct: the size of the ctx region. */
  size: number;
  fields: readonly CtxField[];
  /** The kernel's is_valid_access for this program type. */
  access(off: number, size: number, kind: AccessKind, opts?: AccessOptions): CtxAccess;
  /** Whether BPF_LD_ABS / BPF_LD_IND are allowed (may_access_skb). */
  ldAbs: boolean;
}

/** The meaning of r0 at exit for a program type. */
export interface ReturnSpec {
  /** Range the verifier enforces (check_return_code), inclusive, as 32-bit values; null when unchecked. */
  verifierRange: { min: number; max: number } | null;
  /** Names of well-known values, e.g. { 2: 'XDP_PASS' }. */
  names: Readonly<Record<number, string>>;
  /** One line: what the value means. */
  meaning: string;
}

export interface ProgTypeInfo {
  type: ProgType;
  ctx: CtxLayout;
  ret: ReturnSpec;
}

/** fields → lookup by offset (the field containing byte `off`), built once per layout. */
export function fieldAt(fields: readonly CtxField[], off: number): CtxField | null {
  for (const f of fields) if (off >= f.off && off < f.off + f.size) return f;
  return null;
}

/** bpf_ctx_narrow_access_ok: a power-of-two size no larger than the field. */
export function narrowOk(size: number, fieldSize: number): boolean {
  return size <= fieldSize && (size & (size - 1)) === 0;
}

export function field(name: string, off: number, size: number, elem = size, pointer?: CtxPointerKind): CtxField {
  return pointer ? { name, off, size, elem, pointer } : { name, off, size, elem };
}

export const deny = (reason: string): CtxAccess => ({ ok: false, reason });

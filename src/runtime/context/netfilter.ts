/**
 * Netfilter programs (BPF_PROG_TYPE_NETFILTER, net/netfilter/nf_bpf_link.c): r1 is a
 * `struct bpf_nf_ctx { const struct nf_hook_state *state; struct sk_buff *skb; }`.
 * nf_is_valid_access allows only whole, aligned, read-only loads of the two pointers, which
 * become trusted kernel pointers (PTR_TO_BTF_ID | PTR_TRUSTED) of their structs; every further
 * access goes through the BTF of the target kernel (btf_struct_access). There is no context
 * conversion, so nothing else of the struct is readable.
 */
import { deny, fieldAt, type AccessKind, type CtxAccess, type CtxField, type CtxLayout } from './types.js';

export const BPF_NF_CTX_FIELDS: readonly CtxField[] = [
  { name: 'state', off: 0, size: 8, elem: 8, pointer: 'btf_trusted', btfStruct: 'nf_hook_state' },
  { name: 'skb', off: 8, size: 8, elem: 8, pointer: 'btf_trusted', btfStruct: 'sk_buff' },
];

export const NETFILTER_CTX: CtxLayout = {
  struct: 'bpf_nf_ctx',
  size: 16,
  fields: BPF_NF_CTX_FIELDS,
  ldAbs: false,
  access(off: number, size: number, kind: AccessKind): CtxAccess {
    if (off < 0 || off >= 16) return deny('outside struct bpf_nf_ctx');
    if (off % size !== 0) return deny('misaligned'); // 6.18: netfilter has no ctx conversion to hide unaligned loads
    if (kind === 'write') return deny('struct bpf_nf_ctx is read-only');
    const f = fieldAt(BPF_NF_CTX_FIELDS, off)!;
    if (size !== f.size) return deny(`${f.name} must be loaded whole (8 bytes)`);
    return { ok: true, field: f, pointer: 'btf_trusted', fieldSize: 8 };
  },
};

/**
 * is_trusted_reg (kernel/bpf/verifier.c): which pointers kfuncs with trusted arguments and
 * `__arg_trusted` global-function arguments take: a referenced one, or one whose only modifier is
 * PTR_TRUSTED (a socket or map pointer counts as its kernel struct, reg2btf_ids).
 */
import { BASE_MASK, MAYBE_NULL, PTR_TRUSTED, T, base } from './reg-types.js';
import type { Reg } from './state.js';

/** reg2btf_ids: the kernel struct a socket or map pointer stands for when passed where a kernel object is expected. */
export const REG2BTF_STRUCT: Partial<Record<T, string>> = {
  [T.PTR_TO_SOCKET]: 'sock', [T.PTR_TO_SOCK_COMMON]: 'sock_common', [T.PTR_TO_TCP_SOCK]: 'tcp_sock', [T.CONST_PTR_TO_MAP]: 'bpf_map',
};

/** bpf_type_has_unsafe_modifiers: any flag besides the trusted ones (PTR_TRUSTED) makes a pointer untrusted. */
export const unsafeModifiers = (type: number): boolean => (type & ~BASE_MASK & ~PTR_TRUSTED) !== 0;

/**
 * is_trusted_reg: a referenced pointer, a socket, or one flagged trusted with no unsafe modifier.
 * `maybeNull`: PTR_MAYBE_NULL is not held against it (an argument's nullability is checked apart).
 */
export const isTrustedReg = (r: Reg, maybeNull = false): boolean => {
  const type = maybeNull ? r.type & ~MAYBE_NULL : r.type;
  return r.refObjId !== 0 || (!unsafeModifiers(type) && (REG2BTF_STRUCT[base(type)] !== undefined || (type & PTR_TRUSTED) !== 0));
};

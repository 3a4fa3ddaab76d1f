/**
 * Register types as the kernel's `enum bpf_reg_type`: a base type plus flag bits
 * (PTR_MAYBE_NULL, MEM_RDONLY, MEM_RINGBUF). Names are the ones the kernel's log prints.
 */
export const enum T {
  NOT_INIT = 0,
  SCALAR = 1,
  PTR_TO_CTX = 2,
  CONST_PTR_TO_MAP = 3,
  PTR_TO_MAP_VALUE = 4,
  PTR_TO_MAP_KEY = 5,
  PTR_TO_STACK = 6,
  PTR_TO_PACKET_META = 7,
  PTR_TO_PACKET = 8,
  PTR_TO_PACKET_END = 9,
  PTR_TO_FLOW_KEYS = 10,
  PTR_TO_SOCKET = 11,
  PTR_TO_SOCK_COMMON = 12,
  PTR_TO_TCP_SOCK = 13,
  PTR_TO_MEM = 14,
  PTR_TO_FUNC = 15,
  PTR_TO_BTF_ID = 16,
  PTR_TO_TP_BUFFER = 17,
  PTR_TO_XDP_SOCK = 18,
  /** A pointer to a dynptr the program may not move or release (a global function's `struct bpf_dynptr *` argument). */
  CONST_PTR_TO_DYNPTR = 19,
  /** An address in the program's BPF arena (addr_space_cast to address space 0); accesses are not checked. */
  PTR_TO_ARENA = 20,
  /**
   * A buffer an iterator passes (PTR_TO_BUF: a map element's key, MEM_RDONLY, or value): accessed at
   * constant non-negative offsets, its extent checked when the program is attached (max access).
   */
  PTR_TO_BUF = 21,
}

/** Flag bits above the base type. */
export const MAYBE_NULL = 0x100;
export const MEM_RDONLY = 0x200;
export const MEM_RINGBUF = 0x400;
/** PTR_TO_BTF_ID trust (enum bpf_type_flag): trusted (tracepoint args, acquired objects), untrusted (probe reads only), RCU-protected. */
export const PTR_TRUSTED = 0x800;
export const PTR_UNTRUSTED = 0x1000;
export const MEM_RCU = 0x2000;
/** Kernel memory the program may not dereference directly (__percpu, __user). */
export const MEM_PERCPU = 0x4000;
export const MEM_USER = 0x8000;
/** DYNPTR_TYPE_* flags: the kind of dynptr a slice came from (the kernel's log does not print them). */
export const DYNPTR_TYPE_LOCAL = 0x10000;
export const DYNPTR_TYPE_RINGBUF = 0x20000;
export const DYNPTR_TYPE_SKB = 0x40000;
export const DYNPTR_TYPE_XDP = 0x80000;
export const DYNPTR_TYPE_SKB_META = 0x100000;
/**
 * MEM_ALLOC: an object the program allocated (bpf_obj_new), typed by the program's own BTF (the
 * register's memSize is then a program BTF id); NON_OWN_REF: a pointer to such an object the
 * program no longer owns (it was pushed into a list or tree), valid until the lock is released.
 */
export const MEM_ALLOC = 0x200000;
export const NON_OWN_REF = 0x400000;
/**
 * bpflab's own bit, never printed and no kernel flag: a PTR_TO_BTF_ID typed by the program's BTF
 * although it is not MEM_ALLOC (the kernel keeps the BTF in reg->btf): a per-CPU object's pointer
 * loaded from a __percpu_kptr field or left by bpf_kptr_xchg in an RCU section (MEM_PERCPU | MEM_RCU).
 */
export const LOCAL_BTF = 0x800000;
/** Whether a PTR_TO_BTF_ID register is typed by the program's BTF (an allocated object, or LOCAL_BTF). */
export const isLocalBtf = (t: number): boolean => (t & (MEM_ALLOC | LOCAL_BTF)) !== 0;

/**
 * bpf_may_fault_on_deref (is_load_acq_unsafe in 6.18.y; 09c447564fca): the pointer types a BPF_LDX
 * through which the kernel rewrites to BPF_PROBE_MEM, a bare PTR_TO_BTF_ID and anything
 * PTR_UNTRUSTED. A load-acquire (never rewritten) and a store are refused through them; a trusted,
 * RCU or allocated object's pointer is not one (hence the exact match on the plain type; LOCAL_BTF
 * is bpflab's own bit, not a kernel flag).
 */
export const mayFaultOnDeref = (type: number): boolean => (type & ~LOCAL_BTF) === T.PTR_TO_BTF_ID || (type & PTR_UNTRUSTED) !== 0;
export const DYNPTR_TYPE_FLAGS = DYNPTR_TYPE_LOCAL | DYNPTR_TYPE_RINGBUF | DYNPTR_TYPE_SKB | DYNPTR_TYPE_XDP | DYNPTR_TYPE_SKB_META;
export const BASE_MASK = 0xff;

export const base = (t: number): T => (t & BASE_MASK) as T;
export const maybeNull = (t: number): boolean => (t & MAYBE_NULL) !== 0;

const BASE_NAMES: Record<number, string> = {
  [T.NOT_INIT]: '?',
  [T.SCALAR]: 'scalar',
  [T.PTR_TO_CTX]: 'ctx',
  [T.CONST_PTR_TO_MAP]: 'map_ptr',
  [T.PTR_TO_MAP_VALUE]: 'map_value',
  [T.PTR_TO_MAP_KEY]: 'map_key',
  [T.PTR_TO_STACK]: 'fp',
  [T.PTR_TO_PACKET_META]: 'pkt_meta',
  [T.PTR_TO_PACKET]: 'pkt',
  [T.PTR_TO_PACKET_END]: 'pkt_end',
  [T.PTR_TO_FLOW_KEYS]: 'flow_keys',
  [T.PTR_TO_SOCKET]: 'sock',
  [T.PTR_TO_SOCK_COMMON]: 'sock_common',
  [T.PTR_TO_TCP_SOCK]: 'tcp_sock',
  [T.PTR_TO_MEM]: 'mem',
  [T.PTR_TO_FUNC]: 'func',
  [T.PTR_TO_BTF_ID]: 'ptr_',
  [T.PTR_TO_TP_BUFFER]: 'tp_buffer',
  [T.PTR_TO_XDP_SOCK]: 'xdp_sock',
  [T.CONST_PTR_TO_DYNPTR]: 'dynptr_ptr',
  [T.PTR_TO_ARENA]: 'arena',
  [T.PTR_TO_BUF]: 'buf',
};

/** The kernel's reg_type_str(): prefixes for memory flags, `_or_null` for nullable pointers. */
export function typeName(t: number): string {
  let prefix = '';
  if (t & MEM_RDONLY) prefix += 'rdonly_';
  if (t & MEM_RINGBUF) prefix += 'ringbuf_';
  if (t & MEM_USER) prefix += 'user_';
  if (t & MEM_PERCPU) prefix += 'percpu_';
  if (t & MEM_RCU) prefix += 'rcu_';
  if (t & PTR_UNTRUSTED) prefix += 'untrusted_';
  if (t & PTR_TRUSTED) prefix += 'trusted_';
  // The kernel spells nullable BTF pointers "ptr_or_null_" (the struct name would follow "ptr_").
  const postfix = t & MAYBE_NULL ? ((t & BASE_MASK) === T.PTR_TO_BTF_ID ? 'or_null_' : '_or_null') : '';
  return prefix + (BASE_NAMES[t & BASE_MASK] ?? '?') + postfix;
}

export const isPointer = (t: number): boolean => t !== T.NOT_INIT && t !== T.SCALAR;
export const isPacketPtr = (t: number): boolean => t === T.PTR_TO_PACKET || t === T.PTR_TO_PACKET_META;

/** Pointer types a register may spill to the stack (the kernel's is_spillable_regtype: all of ours). */
export const isSpillable = (t: number): boolean => isPointer(t);

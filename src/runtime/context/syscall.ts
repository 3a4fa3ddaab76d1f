/**
 * BPF_PROG_TYPE_SYSCALL (kernel/bpf/syscall.c): the context is the caller's own buffer
 * (BPF_PROG_RUN's ctx_in, at most U16_MAX bytes), not a kernel struct. syscall_prog_is_valid_access
 * lets a program read and write any naturally aligned bytes below U16_MAX; the kernel checks at
 * run time that the buffer reaches the furthest byte the program touches (max_ctx_offset).
 * Helpers cannot take it as memory (PTR_TO_CTX is not among mem_types in 6.18).
 *
 * Only the verifier uses this layout: bpflab's VM does not run syscall programs (their helpers
 * act on the kernel itself: bpf_sys_bpf, bpf_sys_close, ...).
 */
import { deny, type CtxLayout } from './types.js';

const U16_MAX = 0xffff;

export const SYSCALL_CTX: CtxLayout = {
  struct: 'syscall program context (the caller\'s buffer)',
  size: U16_MAX,
  fields: [],
  access(off, size) {
    if (off < 0 || off >= U16_MAX) return deny(`offset ${off} outside the syscall context`);
    if (off % size !== 0) return deny(`misaligned syscall context access off=${off} size=${size}`);
    return { ok: true, field: null, fieldSize: size };
  },
  ldAbs: false,
};

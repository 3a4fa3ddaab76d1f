// A program's context passed to a global function that takes a pointer to a struct (check_mem_reg
// on PTR_TO_CTX). Program types whose context accesses are not rewritten (no convert_ctx_access)
// have the context's last byte checked as a one-byte context access, read and write: a syscall
// program's context is user memory and passes; kprobe, tracepoint and raw tracepoint contexts
// are read-only ("invalid bpf_context access off=7 size=1"). Other types refuse the context.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct args { int a; int b; };

__attribute__((noinline)) int sub(struct args *t) { return t ? t->a : 0; }

SEC("syscall") int sys_ctx(void *ctx) { return sub(ctx); }
SEC("tracepoint/syscalls/sys_enter_getpid") int tp_ctx(void *ctx) { return sub(ctx); }
SEC("kprobe/do_nanosleep") int kp_ctx(void *ctx) { return sub(ctx); }
SEC("raw_tracepoint/sys_enter") int rawtp_ctx(void *ctx) { return sub(ctx); }

char LICENSE[] SEC("license") = "GPL";

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
#include <linux/ptrace.h>
#include <bpf/bpf_tracing.h>
SEC("kprobe/do_sys_openat2") int kprobe_read_ctx(struct pt_regs *ctx) { return PT_REGS_PARM1(ctx) == 0 ? 1 : 0; }

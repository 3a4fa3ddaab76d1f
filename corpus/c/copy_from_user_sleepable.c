#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
#include <linux/ptrace.h>
#include <bpf/bpf_tracing.h>
/* bpf_copy_from_user may fault the page in: only sleepable programs (here uprobe.s) may call it. */
SEC("uprobe.s") int copy_from_user_sleepable(struct pt_regs *ctx)
{
	char buf[16];
	if (bpf_copy_from_user(buf, sizeof(buf), (void *)PT_REGS_PARM1(ctx)))
		return 0;
	return buf[0];
}

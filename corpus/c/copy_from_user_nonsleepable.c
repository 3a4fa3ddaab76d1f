#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
#include <linux/ptrace.h>
#include <bpf/bpf_tracing.h>
/* the call from a plain kprobe: "helper call might sleep in a non-sleepable prog" */
SEC("kprobe/do_sys_openat2") int copy_from_user_kprobe(struct pt_regs *ctx)
{
	char buf[16];
	if (bpf_copy_from_user(buf, sizeof(buf), (void *)PT_REGS_PARM1(ctx)))
		return 0;
	return buf[0];
}

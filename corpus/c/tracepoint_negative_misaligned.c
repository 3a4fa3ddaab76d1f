#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
/* A negative tracepoint ctx offset passes the bounds test but C's signed `%` rejects -6 % 4. */
SEC("tracepoint/syscalls/sys_enter_openat") int tracepoint_negative_misaligned(void *ctx)
{
	return *(volatile int *)(ctx - 6) != 0;
}

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
/* tp_prog_is_valid_access compares `off < sizeof(void *)` unsigned: a negative offset passes,
 * and so does anything below PERF_MAX_TRACE_SIZE (8192 in Linux 6.18). */
SEC("tracepoint/syscalls/sys_enter_openat") int tracepoint_negative_ctx_off(void *ctx)
{
	long below = *(volatile long *)(ctx - 8);
	long far = *(volatile long *)(ctx + 8184);
	return below == far;
}

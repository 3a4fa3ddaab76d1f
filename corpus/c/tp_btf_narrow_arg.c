#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
/* btf_ctx_access: a pointer argument of a BTF tracepoint is read whole (8 bytes); the kernel logs
 * the reason and then check_ctx_access's "invalid bpf_context access". */
SEC("tp_btf/sched_switch") int tp_btf_narrow_arg(__u64 *ctx)
{
	return *(volatile __u32 *)&ctx[1] != 0;
}

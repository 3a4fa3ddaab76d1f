#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;
/* get_kern_ctx_btf_id: a raw tracepoint's kernel context is a u64, not a struct, so
 * bpf_cast_to_kern_ctx has nothing to cast to. */
SEC("raw_tp/sched_switch") int cast_kern_ctx_raw_tp(struct bpf_raw_tracepoint_args *ctx)
{
	return bpf_cast_to_kern_ctx(ctx) != 0;
}

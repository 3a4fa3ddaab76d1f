#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} sock_counts SEC(".maps");
/* sock_filter_func_proto gives cgroup_sock bpf_sk_storage_get_cg_sock_proto: the socket argument
 * is ARG_PTR_TO_CTX (the context is the struct sock). */
SEC("cgroup/sock_create") int cgroup_sock_storage_ctx(struct bpf_sock *sk)
{
	__u64 *n = bpf_sk_storage_get(&sock_counts, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (n)
		*n += 1;
	return 1;
}

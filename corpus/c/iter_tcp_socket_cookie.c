#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
struct seq_file;
struct sock_common;
struct bpf_iter_meta { struct seq_file *seq; __u64 session_id; __u64 seq_num; } __attribute__((preserve_access_index));
struct bpf_iter__tcp { struct bpf_iter_meta *meta; struct sock_common *sk_common; __u32 uid; } __attribute__((preserve_access_index));
/* An iterator's sk_common is trusted_ptr_or_null; bpf_get_socket_cookie takes it as it is
 * (bpf_get_socket_ptr_cookie_proto: ARG_PTR_TO_BTF_ID_SOCK_COMMON | PTR_MAYBE_NULL). */
SEC("iter/tcp") int iter_tcp_socket_cookie(struct bpf_iter__tcp *ctx)
{
	__u64 cookie = bpf_get_socket_cookie(ctx->sk_common);
	return cookie == 1;
}

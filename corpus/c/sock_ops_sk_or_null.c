#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
/* bpf_sock_ops.sk loads as PTR_TO_SOCKET_OR_NULL: after the NULL check every bpf_sock field
 * (protocol is not in bpf_sock_common's view) is readable. */
SEC("sockops") int sock_ops_sk_or_null(struct bpf_sock_ops *ctx)
{
	struct bpf_sock *sk = ctx->sk;
	if (!sk)
		return 1;
	return sk->protocol == 6;
}

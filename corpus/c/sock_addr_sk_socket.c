#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
/* bpf_sock_addr.sk loads as PTR_TO_SOCKET (never NULL): full bpf_sock fields, no NULL check. */
SEC("cgroup/connect4") int sock_addr_sk_socket(struct bpf_sock_addr *ctx)
{
	struct bpf_sock *sk = ctx->sk;
	return sk->type == 1 && sk->protocol == 6;
}

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
/* sock_ops_is_valid_access allows narrow loads of skb_tcp_flags with `case offsetof(...)`, one
 * offset: the low byte is fine, the second byte (off 213) falls to the 4-byte default. */
SEC("sockops") int sock_ops_tcp_flags_narrow(struct bpf_sock_ops *ctx)
{
	__u8 lo = *(volatile __u8 *)((void *)ctx + __builtin_offsetof(struct bpf_sock_ops, skb_tcp_flags));
	__u8 hi = *(volatile __u8 *)((void *)ctx + __builtin_offsetof(struct bpf_sock_ops, skb_tcp_flags) + 1);
	return (lo | hi) != 0;
}

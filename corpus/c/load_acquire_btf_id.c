/* A load-acquire from a plain PTR_TO_BTF_ID (bpf_skc_to_tcp_sock's result). A BPF_LDX through it
 * is rewritten to BPF_PROBE_MEM, a load-acquire never is: the running 6.18.44 refuses it
 * (is_load_acq_unsafe). clang-19 has no load-acquire syntax; the .8byte is
 * r0 = load_acquire((u64 *)(r2 +0)).
 *   clang-19 -O2 -g --target=bpf -mcpu=v4 -I/usr/include/x86_64-linux-gnu -c load_acquire_btf_id.c -o load_acquire_btf_id.o */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";

SEC("tc")
int load_acquire_btf_id(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;
	if (!sk) return 0;
	void *tp = bpf_skc_to_tcp_sock(sk);
	if (!tp) return 0;
	asm volatile("r2 = %[p]; .8byte 0x00000100000020db;" :: [p]"r"(tp) : "r0", "r2", "memory");
	return 0;
}

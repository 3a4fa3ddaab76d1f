/* One load reached with untrusted read-only memory (bpf_rdonly_cast to void) and with a plain
 * PTR_TO_BTF_ID (bpf_skc_to_tcp_sock's result): save_aux_ptr_type merges them into one type the
 * kernel keeps reading through probe instructions (merge_ptr_types). The running 6.18.44 accepts;
 * bpflab refused the memory (no PTR_TO_MEM | PTR_UNTRUSTED access) and the mix.
 *   clang-19 -O2 -g --target=bpf -mcpu=v4 -I/usr/include/x86_64-linux-gnu -c probe_mem_merge.c -o probe_mem_merge.o */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

SEC("tc")
int probe_mem_merge(struct __sk_buff *skb)
{
	void *p;
	if (skb->len > 100) {
		p = bpf_rdonly_cast((void *)(long)skb->mark, 0);
	} else {
		struct bpf_sock *sk = skb->sk;
		if (!sk) return 0;
		p = bpf_skc_to_tcp_sock(sk);
		if (!p) return 0;
	}
	asm volatile("r2 = %[p]; r0 = *(u64 *)(r2 + 0);" :: [p]"r"(p) : "r0", "r2", "memory");
	return 0;
}

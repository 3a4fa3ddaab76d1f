/* A global function that may throw (bpf_throw in it or in a function it calls) is checked at the
 * call as an exception exit (3d562d35a044, in the running 6.18.44): a reference held across the
 * call leaks when it throws. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
extern void bpf_throw(__u64 cookie) __ksym;
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 4096); } rb SEC(".maps");

__noinline int global_thrower(int x)
{
	if (x > 100)
		bpf_throw(1);
	return x;
}

SEC("tc")
int ref_across_thrower(struct __sk_buff *skb)
{
	void *p = bpf_ringbuf_reserve(&rb, 8, 0);
	int r;

	if (!p)
		return 0;
	r = global_thrower(skb->len);
	bpf_ringbuf_discard(p, 0);
	return r & 1;
}

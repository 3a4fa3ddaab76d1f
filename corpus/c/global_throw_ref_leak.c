/* Built by corpus/c/build.sh (clang-19 -O2 -g --target=bpf -D__TARGET_ARCH_x86).
 * A global function that may throw (bpf_throw in it or in a function it calls) is checked at the
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

static __noinline int static_thrower(int x)
{
	if (x > 200)
		bpf_throw(2);
	return x + 1;
}

__noinline int global_calls_thrower(int x)
{
	return static_thrower(x) & 7;
}

__noinline int global_quiet(int x)
{
	return x & 3;
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

SEC("tc")
int ref_across_nested_thrower(struct __sk_buff *skb)
{
	void *p = bpf_ringbuf_reserve(&rb, 8, 0);
	int r;

	if (!p)
		return 0;
	r = global_calls_thrower(skb->len);
	bpf_ringbuf_discard(p, 0);
	return r & 1;
}

SEC("tc")
int ref_across_quiet(struct __sk_buff *skb)
{
	void *p = bpf_ringbuf_reserve(&rb, 8, 0);
	int r;

	if (!p)
		return 0;
	r = global_quiet(skb->len);
	bpf_ringbuf_discard(p, 0);
	return r & 1;
}

SEC("tc")
int no_ref_thrower(struct __sk_buff *skb)
{
	int r = global_thrower(skb->len);

	if (r > 10)
		r = global_calls_thrower(r);
	return r & 1;
}

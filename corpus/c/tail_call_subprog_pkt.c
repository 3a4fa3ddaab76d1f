// A tail call inside a global subprogram may run a program that moves the packet and returns to
// the caller: packet pointers checked before the call are invalid after it.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
struct { __uint(type, BPF_MAP_TYPE_PROG_ARRAY); __uint(max_entries, 1); __type(key, int); __type(value, int); } jt SEC(".maps");
__attribute__((noinline)) int do_tail(struct __sk_buff *skb) { bpf_tail_call(skb, &jt, 0); return 0; }
SEC("tc") int tail_in_subprog(struct __sk_buff *skb) {
  int *p = (void *)(long)skb->data;
  if ((void *)(p + 1) > (void *)(long)skb->data_end) return 0;
  do_tail(skb);
  *p = 42;
  return 0;
}

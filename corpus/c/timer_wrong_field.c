#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
struct elem { __u64 fired; struct bpf_timer t; };
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, struct elem); } timers SEC(".maps");
SEC("tc") int timer_wrong_field(struct __sk_buff *ctx) {
  __u32 k = 0; struct elem *e = bpf_map_lookup_elem(&timers, &k);
  if (!e) return 0;
  bpf_timer_init((void *)&e->fired, &timers, 1);
  return 0;
}

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
// Timers in inner maps: each lookup of the outer map gives its inner map a map_uid (the lookup's
// id), and bpf_timer_init must name the map the timer's value came from, uid included.
struct elem { struct bpf_timer t; };
struct inner_t { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, struct elem); } it SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS); __uint(max_entries, 2); __type(key, __u32); __array(values, struct inner_t); } outer SEC(".maps") = { .values = { &it } };

// The timer armed with the inner map it lives in.
SEC("tc") int same_inner(struct __sk_buff *ctx) {
  __u32 k = 0;
  void *in1 = bpf_map_lookup_elem(&outer, &k);
  if (!in1) return 0;
  struct elem *e = bpf_map_lookup_elem(in1, &k);
  if (!e) return 0;
  bpf_timer_init(&e->t, in1, 1);
  return 0;
}

// The timer of one inner map armed with another (same template, another lookup).
SEC("tc") int other_inner(struct __sk_buff *ctx) {
  __u32 k = 0, k1 = 1;
  void *in1 = bpf_map_lookup_elem(&outer, &k);
  if (!in1) return 0;
  void *in2 = bpf_map_lookup_elem(&outer, &k1);
  if (!in2) return 0;
  struct elem *e = bpf_map_lookup_elem(in1, &k);
  if (!e) return 0;
  bpf_timer_init(&e->t, in2, 1);
  return 0;
}

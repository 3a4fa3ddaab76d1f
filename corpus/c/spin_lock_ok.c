#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
struct val { __u64 a; struct bpf_spin_lock lock; __u64 cnt; };
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 64); __type(key, __u32); __type(value, struct val); } counters SEC(".maps");
SEC("tc") int spin_lock_ok(struct __sk_buff *ctx) {
  __u32 k = ctx->mark; struct val *v = bpf_map_lookup_elem(&counters, &k);
  if (!v) return 0;
  bpf_spin_lock(&v->lock); v->cnt++; bpf_spin_unlock(&v->lock);
  return 0;
}

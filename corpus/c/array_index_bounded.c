#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, __u64[16]); } tbl SEC(".maps");
// Indexes a 16-slot map value with a byte taken from the packet.
SEC("xdp") int array_index_bounded(struct xdp_md *ctx) {
  unsigned char *d = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
  if (d + 1 > end) return XDP_DROP;
  __u32 idx = d[0], k = 0; if (idx >= 16) return XDP_DROP;
  __u64 *v = bpf_map_lookup_elem(&tbl, &k);
  if (!v) return XDP_DROP;
  return v[idx] ? XDP_PASS : XDP_DROP;
}

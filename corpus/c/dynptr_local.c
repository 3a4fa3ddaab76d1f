#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
// Local dynptrs over a map value (bpf_dynptr_from_mem takes map values only): bpf_dynptr_data
// slices die when the dynptr's stack slots are overwritten; the dynptr's own bytes can be
// neither read directly nor written by a helper.
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, int); __type(value, char[16]); } arr SEC(".maps");

SEC("xdp") int local_dynptr_data(struct xdp_md *ctx) {
  int k = 0;
  char *v = bpf_map_lookup_elem(&arr, &k);
  struct bpf_dynptr p;
  char tmp[4] = {9, 8, 7, 6};
  if (!v) return XDP_PASS;
  if (bpf_dynptr_from_mem(v, 16, 0, &p)) return XDP_PASS;
  bpf_dynptr_write(&p, 4, tmp, sizeof(tmp), 0);
  char *d = bpf_dynptr_data(&p, 4, 4);
  return d ? d[1] : XDP_PASS;
}
SEC("xdp") int local_dynptr_stack_mem(struct xdp_md *ctx) {
  char buf[16] = {};
  struct bpf_dynptr p;
  bpf_dynptr_from_mem(buf, sizeof(buf), 0, &p);
  return XDP_PASS;
}
SEC("xdp") int local_dynptr_data_after_overwrite(struct xdp_md *ctx) {
  int k = 0;
  char *v = bpf_map_lookup_elem(&arr, &k);
  struct bpf_dynptr p;
  if (!v) return XDP_PASS;
  bpf_dynptr_from_mem(v, 16, 0, &p);
  char *d = bpf_dynptr_data(&p, 0, 4);
  if (!d) return XDP_PASS;
  *(volatile long *)&p = 0; // destroys the dynptr and its bpf_dynptr_data slices
  return d[0];
}
SEC("xdp") int local_dynptr_helper_overlap(struct xdp_md *ctx) {
  int k = 0;
  char *v = bpf_map_lookup_elem(&arr, &k);
  struct bpf_dynptr p;
  if (!v) return XDP_PASS;
  bpf_dynptr_from_mem(v, 16, 0, &p);
  return bpf_dynptr_read(&p, 8, &p, 0, 0); // the destination is the dynptr itself
}

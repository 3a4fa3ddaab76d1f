#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
// Map-in-map lookups as Linux 6.18 types them: the outer lookup returns the inner map's pointer
// (map_ptr_or_null, typed after the inner map template), which a NULL check makes map_ptr.
struct inner_arr { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 4); __type(key, __u32); __type(value, __u64); } ia SEC(".maps");
struct inner_flag { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 4); __uint(map_flags, BPF_F_INNER_MAP); __type(key, __u32); __type(value, __u64); } iaf SEC(".maps");
struct inner_hash { __uint(type, BPF_MAP_TYPE_LRU_HASH); __uint(max_entries, 8); __type(key, __u32); __type(value, __u64); } ih SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS); __uint(max_entries, 2); __type(key, __u32); __array(values, struct inner_arr); } outer_a SEC(".maps") = { .values = { &ia } };
struct { __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS); __uint(max_entries, 2); __type(key, __u32); __array(values, struct inner_flag); } outer_f SEC(".maps") = { .values = { &iaf } };
struct { __uint(type, BPF_MAP_TYPE_HASH_OF_MAPS); __uint(max_entries, 2); __type(key, __u32); __array(values, struct inner_hash); } outer_h SEC(".maps");

// The inner pointer used as a map without its NULL check.
SEC("xdp") int unchecked_as_map(struct xdp_md *ctx) {
  __u32 k = 0;
  void *inner = bpf_map_lookup_elem(&outer_a, &k);
  __u64 *v = bpf_map_lookup_elem(inner, &k);
  return v ? 1 : 0;
}

// The inner pointer read without its NULL check.
SEC("xdp") int unchecked_deref(struct xdp_md *ctx) {
  __u32 k = 0;
  long *inner = bpf_map_lookup_elem(&outer_a, &k);
  return inner[0];
}

// A constant in-range key into an inner array: the lookup cannot fail (can_elide_value_nullness).
SEC("xdp") int inner_const_key(struct xdp_md *ctx) {
  __u32 k = 0, k2 = 3;
  void *inner = bpf_map_lookup_elem(&outer_a, &k);
  if (!inner) return 0;
  __u64 *v = bpf_map_lookup_elem(inner, &k2);
  return *v;
}

// The same into an inner array made with BPF_F_INNER_MAP (its max_entries may vary): no elision.
SEC("xdp") int inner_flag_const_key(struct xdp_md *ctx) {
  __u32 k = 0, k2 = 3;
  void *inner = bpf_map_lookup_elem(&outer_f, &k);
  if (!inner) return 0;
  __u64 *v = bpf_map_lookup_elem(inner, &k2);
  return *v;
}

// Update, lookup and delete through a checked inner hash map, value bounds from the template.
SEC("xdp") int inner_hash_ops(struct xdp_md *ctx) {
  __u32 k = 0; __u64 x = 5;
  void *inner = bpf_map_lookup_elem(&outer_h, &k);
  if (!inner) return 0;
  bpf_map_update_elem(inner, &k, &x, 0);
  __u64 *v = bpf_map_lookup_elem(inner, &k);
  if (!v) return 0;
  bpf_map_delete_elem(inner, &k);
  return v[0];
}

// Past the inner template's 8-byte value.
SEC("xdp") int inner_hash_oob(struct xdp_md *ctx) {
  __u32 k = 0;
  void *inner = bpf_map_lookup_elem(&outer_h, &k);
  if (!inner) return 0;
  __u64 *v = bpf_map_lookup_elem(inner, &k);
  if (!v) return 0;
  return v[1];
}

// An inner array passed to a ring buffer helper.
SEC("xdp") int inner_wrong_map_type(struct xdp_md *ctx) {
  __u32 k = 0; __u64 x = 1;
  void *inner = bpf_map_lookup_elem(&outer_a, &k);
  if (!inner) return 0;
  return bpf_ringbuf_output(inner, &x, 8, 0);
}

// check_map_prog_compatibility: a tracing program may not use a map whose value holds a bpf_spin_lock.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
struct val { struct bpf_spin_lock lock; long n; };
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, int); __type(value, struct val); } locked SEC(".maps");
SEC("kprobe/do_nanosleep") int spin_lock_kprobe(void *ctx) {
  int k = 0;
  struct val *v = bpf_map_lookup_elem(&locked, &k);
  return v ? 1 : 0;
}

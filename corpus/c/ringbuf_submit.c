#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 4096); } events SEC(".maps");
SEC("tracepoint/syscalls/sys_enter_openat") int ringbuf_submit(void *ctx) {
  __u64 *e = bpf_ringbuf_reserve(&events, 8, 0);
  if (!e) return 0;
  __u64 t = bpf_ktime_get_ns();
  if (t & 1) { bpf_ringbuf_discard(e, 0); return 0; }
  *e = t; bpf_ringbuf_submit(e, 0); return 0;
}

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
// Ring-buffer dynptrs: the reservation is a reference the program must submit or discard, even
// when it failed; the dynptr cannot be overwritten while it holds it; a clone shares it, and
// releasing either invalidates the other and every slice.
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 4096); } rb SEC(".maps");
extern void *bpf_dynptr_slice(const struct bpf_dynptr *p, __u32 offset, void *buffer__opt, __u32 buffer__szk) __weak __ksym;
extern int bpf_dynptr_clone(const struct bpf_dynptr *p, struct bpf_dynptr *clone__uninit) __weak __ksym;

SEC("xdp") int ringbuf_dynptr_submit(struct xdp_md *ctx) {
  struct bpf_dynptr p;
  long v = 42;
  bpf_ringbuf_reserve_dynptr(&rb, sizeof(v), 0, &p);
  bpf_dynptr_write(&p, 0, &v, sizeof(v), 0);
  bpf_ringbuf_submit_dynptr(&p, 0);
  return XDP_PASS;
}
SEC("xdp") int ringbuf_dynptr_leak(struct xdp_md *ctx) {
  struct bpf_dynptr p;
  if (bpf_ringbuf_reserve_dynptr(&rb, 8, 0, &p))
    return XDP_PASS; // failed, but the dynptr still must be discarded
  bpf_ringbuf_discard_dynptr(&p, 0);
  return XDP_PASS;
}
SEC("xdp") int ringbuf_dynptr_overwrite(struct xdp_md *ctx) {
  struct bpf_dynptr p;
  bpf_ringbuf_reserve_dynptr(&rb, 8, 0, &p);
  *(volatile long *)&p = 0;
  bpf_ringbuf_discard_dynptr(&p, 0);
  return XDP_PASS;
}
SEC("xdp") int ringbuf_dynptr_clone_release(struct xdp_md *ctx) {
  struct bpf_dynptr p, c;
  bpf_ringbuf_reserve_dynptr(&rb, 8, 0, &p);
  bpf_dynptr_clone(&p, &c);
  bpf_ringbuf_submit_dynptr(&c, 0); // releases the parent's reference too
  return XDP_PASS;
}
SEC("xdp") int ringbuf_dynptr_slice_after_submit(struct xdp_md *ctx) {
  struct bpf_dynptr p;
  char buf[4];
  bpf_ringbuf_reserve_dynptr(&rb, 8, 0, &p);
  char *s = bpf_dynptr_slice(&p, 0, buf, sizeof(buf));
  if (!s) { bpf_ringbuf_discard_dynptr(&p, 0); return XDP_PASS; }
  bpf_ringbuf_submit_dynptr(&p, 0);
  return s[0]; // the slice went with the record
}
SEC("xdp") int ringbuf_dynptr_var_offset_write(struct xdp_md *ctx) {
  struct bpf_dynptr p;
  __u32 n = ctx->data_end - ctx->data;
  bpf_ringbuf_reserve_dynptr(&rb, 8, 0, &p);
  ((volatile char *)&p)[n & 15] = 0; // any byte of the dynptr may be hit
  bpf_ringbuf_discard_dynptr(&p, 0);
  return XDP_PASS;
}

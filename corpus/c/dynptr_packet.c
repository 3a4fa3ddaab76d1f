#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
// skb and xdp dynptrs: read-only slices of a constant size, NULL-checked, invalidated by calls
// that may move the packet (including bpf_dynptr_write to an skb dynptr); the constructors take
// the program's own context.
extern int bpf_dynptr_from_skb(struct __sk_buff *s, __u64 flags, struct bpf_dynptr *ptr__uninit) __weak __ksym;
extern int bpf_dynptr_from_xdp(struct xdp_md *x, __u64 flags, struct bpf_dynptr *ptr__uninit) __weak __ksym;
extern void *bpf_dynptr_slice(const struct bpf_dynptr *p, __u32 offset, void *buffer__opt, __u32 buffer__szk) __weak __ksym;

SEC("xdp") int xdp_dynptr_slice(struct xdp_md *ctx) {
  struct bpf_dynptr p;
  __u8 buf[2];
  if (bpf_dynptr_from_xdp(ctx, 0, &p)) return XDP_DROP;
  __u8 *eth = bpf_dynptr_slice(&p, 12, buf, sizeof(buf));
  if (!eth) return XDP_DROP;
  return eth[0] == 0x08 && eth[1] == 0x00 ? XDP_PASS : XDP_DROP;
}
SEC("xdp") int xdp_dynptr_slice_oob(struct xdp_md *ctx) {
  struct bpf_dynptr p;
  __u8 buf[4];
  bpf_dynptr_from_xdp(ctx, 0, &p);
  __u8 *s = bpf_dynptr_slice(&p, 0, buf, sizeof(buf));
  return s ? s[4] : XDP_PASS;
}
SEC("xdp") int xdp_dynptr_slice_write(struct xdp_md *ctx) {
  struct bpf_dynptr p;
  __u8 buf[4];
  bpf_dynptr_from_xdp(ctx, 0, &p);
  __u8 *s = bpf_dynptr_slice(&p, 0, buf, sizeof(buf));
  if (s) s[0] = 1;
  return XDP_PASS;
}
SEC("tc") int skb_dynptr_slice_after_write(struct __sk_buff *ctx) {
  struct bpf_dynptr p;
  __u8 buf[4] = {};
  bpf_dynptr_from_skb(ctx, 0, &p);
  __u8 *s = bpf_dynptr_slice(&p, 0, buf, sizeof(buf));
  if (!s) return 0;
  bpf_dynptr_write(&p, 0, buf, sizeof(buf), 0); // may move the skb data
  return s[0];
}
SEC("tc") int skb_dynptr_from_xdp(struct __sk_buff *ctx) {
  struct bpf_dynptr p;
  bpf_dynptr_from_xdp((struct xdp_md *)ctx, 0, &p);
  return 0;
}
SEC("xdp") int xdp_dynptr_reinit_keeps_slice(struct xdp_md *ctx) {
  struct bpf_dynptr p;
  __u8 buf[4];
  bpf_dynptr_from_xdp(ctx, 0, &p);
  __u8 *s = bpf_dynptr_slice(&p, 0, buf, sizeof(buf));
  if (!s) return XDP_PASS;
  bpf_dynptr_from_xdp(ctx, 0, &p); // replaces the unreferenced dynptr; its read-only slice is not invalidated
  return s[0] ? XDP_PASS : XDP_DROP;
}

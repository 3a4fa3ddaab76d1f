#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
// Bounded loop (kernel >= 5.3) summing a stack array.
SEC("xdp") int bounded_loop(struct xdp_md *ctx) {
  __u32 sum = 0;
  for (int i = 0; i < 16; i++) { sum += i * ctx->ingress_ifindex; asm volatile("" ::: "memory"); }
  return sum & 1 ? XDP_PASS : XDP_DROP;
}

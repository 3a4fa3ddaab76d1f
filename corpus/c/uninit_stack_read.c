#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
// Returns a stack slot that is written on only one path.
SEC("xdp") int uninit_stack_read(struct xdp_md *ctx) {
  volatile __u32 x;
  if (ctx->ingress_ifindex == 3) x = 1;
  return x;
}

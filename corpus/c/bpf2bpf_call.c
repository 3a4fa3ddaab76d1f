#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
static __attribute__((noinline)) int classify(__u32 ifindex) { return ifindex > 4 ? XDP_PASS : XDP_DROP; }
SEC("xdp") int bpf2bpf_call(struct xdp_md *ctx) { return classify(ctx->ingress_ifindex); }

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
// Off-by-one: checks 13 bytes but reads h_proto at offset 12..13.
SEC("xdp") int xdp_eth_off_by_one(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
  if (data + 13 > end) return XDP_DROP;
  struct ethhdr *eth = data;
  return eth->h_proto == __builtin_bswap16(ETH_P_IP) ? XDP_PASS : XDP_DROP;
}

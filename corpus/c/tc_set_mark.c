#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
SEC("tc") int tc_set_mark(struct __sk_buff *skb) { if (skb->protocol == __builtin_bswap16(0x0800)) skb->mark = 0x42; return 0; }

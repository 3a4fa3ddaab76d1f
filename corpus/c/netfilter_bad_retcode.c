// check_return_code: netfilter programs return NF_DROP (0) or NF_ACCEPT (1).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
SEC("netfilter") int nf_bad(void *ctx) { return 2; }

// The counterpart of netfilter_bad_retcode: NF_ACCEPT.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
SEC("netfilter") int nf_accept(void *ctx) { return 1; }

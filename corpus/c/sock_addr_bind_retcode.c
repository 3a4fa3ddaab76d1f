// The counterpart of sock_addr_unix_retcode: bind hooks may return 0..3 (bit 1: skip the port checks).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
SEC("cgroup/bind4") int bind4_three(struct bpf_sock_addr *ctx) { return 3; }

// check_return_code: recvmsg/getpeername/getsockname hooks (unix ones too) must return 1.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
SEC("cgroup/recvmsg_unix") int recvmsg_unix_zero(struct bpf_sock_addr *ctx) { return 0; }

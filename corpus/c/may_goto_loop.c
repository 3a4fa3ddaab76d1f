#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
// may_goto (can_loop as the kernel selftests' bpf_experimental.h defines it): a loop bounded
// only by the kernel's hidden counter; the verifier explores the exit first and converges on
// the body one level deeper.
#define can_loop ({ __label__ l_break, l_continue; _Bool ret = 1; \
  asm volatile goto("may_goto %l[l_break]" :::: l_break); goto l_continue; \
  l_break: ret = 0; l_continue:; ret; })
SEC("xdp") int may_goto_loop(struct xdp_md *ctx) {
  __u64 sum = 0, i = 0;
  while (can_loop) { sum += i; i += 3; }
  return sum & 1 ? XDP_PASS : XDP_DROP;
}

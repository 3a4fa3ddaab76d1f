#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
// bpf_iter_num_next on stack bytes bpf_iter_num_new never initialised.
struct bpf_iter_num { __u64 __opaque[1]; } __attribute__((aligned(8)));
extern int *bpf_iter_num_next(struct bpf_iter_num *it) __weak __ksym;
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __weak __ksym;
SEC("xdp") int iter_uninit(struct xdp_md *ctx) {
  struct bpf_iter_num it = {};
  int *v = bpf_iter_num_next(&it);
  bpf_iter_num_destroy(&it);
  return v ? XDP_PASS : XDP_DROP;
}

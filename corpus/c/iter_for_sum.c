#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
// Open-coded iterator (bpf_for as libbpf defines it): 1000 iterations, converged by the verifier
// in a few (the loop's imprecise sum is widened at bpf_iter_num_next).
struct bpf_iter_num { __u64 __opaque[1]; } __attribute__((aligned(8)));
extern int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __weak __ksym;
extern int *bpf_iter_num_next(struct bpf_iter_num *it) __weak __ksym;
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __weak __ksym;
SEC("xdp") int iter_for_sum(struct xdp_md *ctx) {
  struct bpf_iter_num it;
  int *v, sum = 0;
  bpf_iter_num_new(&it, 0, 1000);
  while ((v = bpf_iter_num_next(&it)))
    sum += *v;
  bpf_iter_num_destroy(&it);
  return sum & 1 ? XDP_PASS : XDP_DROP;
}

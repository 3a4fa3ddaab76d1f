// The counterpart of ld_abs_void_subprog: the subprogram returns an int. Its hidden exit (a too
// short packet) returns 0 to the caller, a path the verifier explores too.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
static __attribute__((noinline)) int peek(struct __sk_buff *skb) { return load_byte(skb, 0); }
SEC("socket") int ld_abs_int(struct __sk_buff *skb) { return peek(skb) ? 1 : 0; }

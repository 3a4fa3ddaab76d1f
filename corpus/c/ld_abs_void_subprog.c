// check_btf_func: a subprogram with LD_ABS (which can leave the program) must return an int.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
volatile int sink;
static __attribute__((noinline)) void peek(struct __sk_buff *skb) { sink = load_byte(skb, 0); }
SEC("socket") int ld_abs_void(struct __sk_buff *skb) { peek(skb); return 0; }

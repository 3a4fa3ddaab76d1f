/* A store through an untrusted pointer (ct->master, walked from the trusted nf_conn that
 * bpf_skb_ct_lookup returns) is refused before tc's conntrack rule, which allows nf_conn's mark
 * through the trusted pointer: "only read is supported" on the running 6.18.44 (a store through a
 * fault prone pointer); bpflab let the conntrack rule decide and accepted. The nf_conn fields are
 * CO-RE relocated against the kernel's BTF.
 *   clang-19 -O2 -g --target=bpf -mcpu=v4 -I/usr/include/x86_64-linux-gnu -c store_untrusted_ct.c -o store_untrusted_ct.o */
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
struct nf_conn { struct nf_conn *master; __u32 mark; } __attribute__((preserve_access_index));
struct bpf_ct_opts { __s32 netns_id; __s32 error; __u8 l4proto; __u8 dir; __u16 ct_zone_id; __u8 ct_zone_dir; __u8 reserved[3]; };
extern struct nf_conn *bpf_skb_ct_lookup(struct __sk_buff *, struct bpf_sock_tuple *, __u32, struct bpf_ct_opts *, __u32) __ksym;
extern void bpf_ct_release(struct nf_conn *) __ksym;

SEC("tc")
int store_untrusted_ct(struct __sk_buff *skb)
{
	struct bpf_ct_opts opts = { .netns_id = -1, .l4proto = IPPROTO_TCP };
	struct bpf_sock_tuple tup = {};
	struct nf_conn *ct = bpf_skb_ct_lookup(skb, &tup, sizeof(tup.ipv4), &opts, sizeof(opts));
	if (!ct) return 0;
	struct nf_conn *m = ct->master;
	if (m) m->mark = 1;
	bpf_ct_release(ct);
	return 0;
}

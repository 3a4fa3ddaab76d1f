// A small XDP DDoS filter: each IPv4/IPv6 source may send at most PKTS_PER_WINDOW packets per
// one-second window; packets beyond that are dropped. Per-source state lives in an LRU hash, so a
// flood from many spoofed sources evicts old entries instead of filling the map; totals are kept
// in an array map. Build: ./build.sh (clang-19, libbpf-dev).
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define PKTS_PER_WINDOW 100
#define WINDOW_NS 1000000000ULL

struct source {
	__u8 addr[16]; // IPv4 sources as ::ffff:a.b.c.d
};

struct budget {
	__u64 window_start; // ns, bpf_ktime_get_ns()
	__u32 seen;         // packets in this window
	__u32 dropped;      // packets dropped, all windows
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct source);
	__type(value, struct budget);
	__uint(max_entries, 4096);
} budgets SEC(".maps");

enum { STAT_PASS, STAT_DROP, STAT_OTHER, STAT_MAX };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, STAT_MAX);
} stats SEC(".maps");

static __always_inline int count(__u32 what, int action)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &what);
	if (v)
		__sync_fetch_and_add(v, 1);
	return action;
}

SEC("xdp")
int xdp_ddos(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct source src = {};

	if ((void *)(eth + 1) > end)
		return count(STAT_OTHER, XDP_PASS);
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);
		if ((void *)(ip + 1) > end)
			return count(STAT_OTHER, XDP_PASS);
		src.addr[10] = 0xff;
		src.addr[11] = 0xff;
		__builtin_memcpy(&src.addr[12], &ip->saddr, 4);
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);
		if ((void *)(ip6 + 1) > end)
			return count(STAT_OTHER, XDP_PASS);
		__builtin_memcpy(src.addr, &ip6->saddr, 16);
	} else {
		return count(STAT_OTHER, XDP_PASS);
	}

	__u64 now = bpf_ktime_get_ns();
	struct budget *b = bpf_map_lookup_elem(&budgets, &src);
	if (!b) {
		struct budget fresh = { .window_start = now, .seen = 1 };
		bpf_map_update_elem(&budgets, &src, &fresh, BPF_ANY);
		return count(STAT_PASS, XDP_PASS);
	}
	if (now - b->window_start >= WINDOW_NS) {
		b->window_start = now;
		b->seen = 0;
	}
	if (++b->seen > PKTS_PER_WINDOW) {
		b->dropped++;
		return count(STAT_DROP, XDP_DROP);
	}
	return count(STAT_PASS, XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";

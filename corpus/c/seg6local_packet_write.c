#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
/* may_access_direct_pkt_data: lwt_seg6local is among the types with direct read access only. */
SEC("lwt_seg6local") int seg6local_packet_write(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	if (data + 1 > end)
		return BPF_OK;
	*(volatile __u8 *)data = 1;
	return BPF_OK;
}

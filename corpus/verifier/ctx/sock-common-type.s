; skb->sk is a sock_common: its type field needs a full socket (bpf_sk_fullsock).
.type cgroup_skb
    r1 = *(u64 *)(r1 +168)
    if r1 == 0x0 goto out
    r0 = *(u32 *)(r1 +8)
out:
    r0 = 1
    exit

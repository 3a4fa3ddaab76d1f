; struct bpf_sock: the two bytes after dst_port are padding the program may not load.
.type cgroup_skb
    r1 = *(u64 *)(r1 +168)
    if r1 == 0x0 goto out
    call bpf_sk_fullsock
    if r0 == 0x0 goto out
    r0 = *(u16 *)(r0 +50)
out:
    r0 = 1
    exit

; The counterpart of sock-common-type: family is readable through a sock_common.
.type cgroup_skb
    r1 = *(u64 *)(r1 +168)
    if r1 == 0x0 goto out
    r0 = *(u32 *)(r1 +4)
out:
    r0 = 1
    exit

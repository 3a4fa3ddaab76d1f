.type socket_filter
    r4 = *(u32 *)(r1 +0)
    r4 |= 1
    r2 = 0
    r3 = r10
    r3 += -8
    call bpf_skb_load_bytes
    r0 = 0
    exit

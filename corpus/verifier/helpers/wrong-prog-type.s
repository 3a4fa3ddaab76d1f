.type socket_filter
    r2 = 0
    r3 = r10
    r3 += -8
    *(u64 *)(r10 -8) = 0
    r4 = 1
    r5 = 0
    call bpf_skb_store_bytes
    r0 = 0
    exit

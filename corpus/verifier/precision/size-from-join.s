.type socket_filter
    r6 = *(u32 *)(r1 +0)
    *(u64 *)(r10 -8) = 0
    if r6 > 10 goto one
    r7 = 8
    goto join
one:
    r7 = 16
join:
    r1 = r1
    r2 = 0
    r3 = r10
    r3 += -8
    r4 = r7
    r1 = r1
    call bpf_skb_load_bytes
    r0 = 0
    exit

.type socket_filter
    r1 = r10
    r1 += -8
    r2 = 0
    r3 = r10
    r3 += -16
    r4 = 8
    call bpf_skb_load_bytes
    r0 = 0
    exit

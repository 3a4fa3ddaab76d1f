; array lookup with a constant in-range key cannot fail: 6.18 elides the NULL check
.type socket_filter
.map m array key=4 value=8 entries=4
    *(u32 *)(r10 -8) = 3
    r2 = r10
    r2 += -8
    r1 = map[m]
    call bpf_map_lookup_elem
    r1 = 1
    lock *(u64 *)(r0 +0) += r1
    r0 = 0
    exit

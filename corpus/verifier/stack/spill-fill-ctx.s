.type socket_filter
    *(u64 *)(r10 -8) = r1
    r1 = 0
    r2 = *(u64 *)(r10 -8)
    r0 = *(u32 *)(r2 +0)
    exit

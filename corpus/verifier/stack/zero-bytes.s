.type socket_filter
    r1 = 0
    *(u32 *)(r10 -4) = r1
    r0 = *(u32 *)(r10 -4)
    exit

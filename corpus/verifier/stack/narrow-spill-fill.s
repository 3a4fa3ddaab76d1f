.type socket_filter
    *(u32 *)(r10 -8) = 7
    r0 = *(u32 *)(r10 -8)
    exit

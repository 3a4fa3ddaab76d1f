.type socket_filter
    r0 = *(u32 *)(r1 +0)
    r0 = be16 r0
    exit

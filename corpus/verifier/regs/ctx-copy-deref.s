.type socket_filter
    r6 = r1
    r0 = *(u32 *)(r6 +0)
    exit

.type socket_filter
    r2 = *(u32 *)(r1 +0)
    r0 = 100
    r0 /= r2
    exit

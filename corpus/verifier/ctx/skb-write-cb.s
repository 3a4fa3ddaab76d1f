.type socket_filter
    r2 = 5
    *(u32 *)(r1 +48) = r2
    r0 = 0
    exit

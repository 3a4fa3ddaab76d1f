.type socket_filter
    r2 = 100
    r0 = *(u64 *)(r2 +0)
    exit

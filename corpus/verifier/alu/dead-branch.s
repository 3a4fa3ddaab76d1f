.type socket_filter
    r1 = 5
    if r1 > 10 goto bad
    r0 = 0
    exit
bad:
    r0 = *(u64 *)(r1 +0)
    exit

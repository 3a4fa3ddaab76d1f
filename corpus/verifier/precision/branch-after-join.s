.type socket_filter
    r6 = *(u32 *)(r1 +0)
    if r6 > 10 goto one
    r7 = 0
    goto join
one:
    r7 = 1
join:
    r0 = 0
    if r7 == 1 goto bad
    exit
bad:
    r0 = *(u64 *)(r7 +0)
    exit

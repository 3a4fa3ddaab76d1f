.type socket_filter
    *(u64 *)(r10 -8) = 0
    r1 = r10
    r1 += -8
    call set
    r0 = *(u64 *)(r10 -8)
    exit
set:
    r2 = 5
    *(u64 *)(r1 +0) = r2
    r0 = 0
    exit

.type socket_filter
    *(u64 *)(r10 -16) = 0
    *(u64 *)(r10 -8) = 0
    r2 = *(u32 *)(r1 +0)
    r2 &= 7
    r3 = r10
    r3 += -16
    r3 += r2
    *(u8 *)(r3 +0) = 1
    r0 = *(u8 *)(r3 +0)
    exit

.type xdp
    r2 = *(u32 *)(r1 +0)
    r3 = *(u32 *)(r1 +4)

    r4 = r2
    r4 += 8
    if r3 < r4 goto drop
    r0 = *(u64 *)(r2 +0)
drop:
    r0 = 2
    exit

.type xdp
    r2 = *(u32 *)(r1 +0)
    r3 = *(u32 *)(r1 +4)

    r4 = r2
    r4 += 14
    if r4 > r3 goto drop
    r0 = *(u32 *)(r2 +12)
drop:
    r0 = 2
    exit

.type xdp
    r2 = *(u32 *)(r1 +0)
    r3 = *(u32 *)(r1 +4)

    r0 = r3
    r0 -= r2
    exit

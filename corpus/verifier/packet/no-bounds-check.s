.type xdp
    r2 = *(u32 *)(r1 +0)
    r3 = *(u32 *)(r1 +4)

    r0 = *(u32 *)(r2 +0)
    r0 = 2
    exit

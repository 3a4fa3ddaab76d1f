; The same u32 read one byte further (offset 27): 2+27 is not a multiple of 4, which
; BPF_F_STRICT_ALIGNMENT rejects ("misaligned packet access"); without the flag the
; kernel on x86-64 (efficient unaligned access) accepts it.
.type xdp
    r2 = *(u32 *)(r1 +0)
    r3 = *(u32 *)(r1 +4)
    r4 = r2
    r4 += 34
    if r4 > r3 goto pass
    r0 = *(u32 *)(r2 +27)
    r0 &= 1
    exit
pass:
    r0 = 2
    exit

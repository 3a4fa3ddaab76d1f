; The 64-bit form of jmp32-self-compare-dead-side.s: `r0 <= r0` is decided by the kernel too,
; and both accept.
.type socket_filter
    r0 = *(u32 *)(r1 +0)
    r0 &= 1
    if r0 <= r0 goto +0
    if r0 > 1 goto bad
    r0 = 0
    exit
bad:
    r0 = *(u64 *)(r0 +0)
    exit

; 6.18.y: a u32 range meeting only one piece of a wrapping s32 range shrinks both
; (__reg32_deduce_bounds): w0 u>= 3 and s<= 1 leaves [0x80000000, U32_MAX], bit 31 set: the write is dead.
.type socket_filter
    r0 = *(u32 *)(r1 +0)
    if w0 < 3 goto out
    if w0 s> 1 goto out
    w0 >>= 31
    if w0 == 1 goto out
    r10 = 0
out:
    r0 = 0
    exit

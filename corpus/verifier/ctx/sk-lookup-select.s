; An sk_lookup program reads the 16-bit remote port (a 4-byte load, kept for older programs)
; and the socket selected so far, which may be NULL: checked before its family is read.
.type sk_lookup
    r3 = *(u32 *)(r1 +36)
    r2 = *(u64 *)(r1 +0)
    r0 = 1
    if r2 == 0 goto out
    r0 = *(u32 *)(r2 +4)
    r0 &= 1
out:
    exit

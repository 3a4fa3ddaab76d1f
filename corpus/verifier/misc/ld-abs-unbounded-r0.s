; The kernel marks r0 of LD_ABS fully unknown (mark_reg_unknown): a u8 load is not known to be
; below 256, so the branch reading an unset register is explored and refused. Fuzzing finding.
.type socket_filter
    r6 = r1
    r0 = *(u8 *)skb[0]
    if r0 < 256 goto ok
    r0 = *(u64 *)(r7 +0)
ok:
    r0 = 0
    exit

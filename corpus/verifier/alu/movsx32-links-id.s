.type socket_filter
; w7 = (s8) w6 with w6 in [0, 100]: no sign extension happens, so w7 shares r6's id and the
; bound learnt on r7 applies to r6 (check_alu_op, no_sext).
    r6 = *(u32 *)(r1 +0)
    if r6 > 100 goto out
    w7 = (s8) w6
    if r7 > 7 goto out
    r2 = r10
    r2 += -8
    r2 += r6
    r0 = 0
    *(u8 *)(r2 +0) = r0
out:
    r0 = 0
    exit

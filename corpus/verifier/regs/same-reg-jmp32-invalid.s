.type socket_filter
; "if w8 < w8" with w8 in [0, 1]: refined in place, the taken side's u32 range becomes [1, 0];
; reg_bounds_sanity_check then forgets every range of r8 (var_off stays), so r8 is no longer a
; bounded stack offset there.
    r8 = *(u32 *)(r1 +0)
    r8 &= 1
    if w8 < w8 goto l1
    r0 = 0
    exit
l1:
    r2 = r10
    r2 += -8
    r2 += r8
    r0 = 0
    *(u8 *)(r2 +0) = r0
    exit

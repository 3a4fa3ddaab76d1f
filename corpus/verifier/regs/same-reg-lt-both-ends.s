.type socket_filter
; "if r8 < r8" refines r8 in place against itself (reg_set_min_max with one register for both
; operands): on the taken side r8 in [0, 255] becomes [1, 254], so r8 == 0 cannot hold there.
    r8 = *(u32 *)(r1 +0)
    r8 &= 0xff
    if r8 < r8 goto l1
    r0 = 0
    exit
l1:
    if r8 == 0 goto bad
    r0 = 0
    exit
bad:
    r0 = r5
    exit

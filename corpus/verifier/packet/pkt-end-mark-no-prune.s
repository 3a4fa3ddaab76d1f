.type xdp
; The fall-through of "if r3 >= r4" (pkt_end >= pkt) leaves r4 beyond the end (BEYOND_PKT_END),
; which decides the subprogram's "if r4 > r3". The taken path reaches the same call with r4's
; range 0: a state with a marked range prunes only an identical mark (regsafe), so the load
; without a bounds check is verified there, and refused.
    r6 = r1
    r2 = *(u32 *)(r6 +0)
    r3 = *(u32 *)(r6 +4)
    r4 = r2
    if r3 >= r4 goto l1
l1:
    call sub
    r0 = 0
    exit
sub:
    if r4 > r3 goto out
    r7 = *(u8 *)(r2 +0)
out:
    exit

.type xdp
; As pkt-beyond-end.s, but r4 += 0 on the path where r4 was found beyond pkt_end: pointer
; arithmetic drops that mark (6.18 keeps only a proven, non-negative range), so the second
; "if r4 > r3" is not decided and the load at insn 7 is reached with only 0 bytes proven.
    r2 = *(u32 *)(r1 +0)
    r3 = *(u32 *)(r1 +4)
    r4 = r2
    if r4 > r3 goto l1
    r4 += 4
l1:
    r4 += 0
    if r4 > r3 goto out
    r0 = *(u32 *)(r2 +0)
out:
    r0 = 2
    exit

.type xdp
; After "if r4 > r3" jumps, r4 is beyond the packet's end (mark_pkt_end: BEYOND_PKT_END), so on
; that path the second "if r4 > r3" is decided (is_pkt_ptr_branch_taken) and the load at
; insn 6, checked only on the fall-through path, is never reached unbounded.
    r2 = *(u32 *)(r1 +0)
    r3 = *(u32 *)(r1 +4)
    r4 = r2
    if r4 > r3 goto l1
    r4 += 4
l1:
    if r4 > r3 goto out
    r0 = *(u32 *)(r2 +0)
out:
    r0 = 2
    exit

.type xdp
.map m array key=4 value=255 entries=1
; r0..r4 are five live copies compared with each other ("if r0 > r1"). collect_linked_regs runs
; once for src's id and once for dst's, the same id: r0..r4, then r0 again fill the six entries
; and the second r1..r4 no longer fit, so their id is cleared. r1 (src) has no id left to sync
; and r4 keeps [0, 255]; with all five linked it would have been r1's [0, 254].
    r1 = 0
    *(u32 *)(r10 -4) = r1
    r2 = r10
    r2 += -4
    r1 = map[m]
    call bpf_map_lookup_elem
    if r0 != 0 goto l1
    exit
l1:
    r9 = r0
    call bpf_get_prandom_u32
    r0 &= 0xff
    r1 = r0
    r2 = r0
    r3 = r0
    r4 = r0
    if r0 > r1 goto l2
    r0 = 0
    exit
l2:
    *(u64 *)(r10 -16) = r2
    *(u64 *)(r10 -16) = r3
    r9 += r4
    r0 = *(u8 *)(r9 +0)
    exit

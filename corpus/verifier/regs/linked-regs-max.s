.type xdp
.map m array key=4 value=48 entries=1
; Nine live copies of one scalar at "if r0 > 40": collect_linked_regs keeps LINKED_REGS_MAX (6)
; of them (r0..r5 in register order) and clears the id of the rest (r6, r7, r8), so the bound
; reaches r0..r5 only; r8 stays [0, 255] and the map value access through it is out of range.
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
    r5 = r0
    r6 = r0
    r7 = r0
    r8 = r0
    if r0 > 40 goto out
    *(u64 *)(r10 -16) = r1
    *(u64 *)(r10 -16) = r2
    *(u64 *)(r10 -16) = r3
    *(u64 *)(r10 -16) = r4
    *(u64 *)(r10 -16) = r5
    *(u64 *)(r10 -16) = r6
    *(u64 *)(r10 -16) = r7
    r9 += r8
    r0 = *(u8 *)(r9 +0)
    exit
out:
    r0 = 0
    exit

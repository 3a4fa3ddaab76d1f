; a 4-byte map key at fp-62 of which only fp-62..fp-61 were written (a narrow spill
; does not make the rest of its slot initialised)
.type socket_filter
.map m array key=4 value=8 entries=1
    r7 = 0
    *(u32 *)(r10 -64) = r7
    r1 = map[m]
    r2 = r10
    r2 += -62
    call bpf_map_lookup_elem
    r0 = 0
    exit

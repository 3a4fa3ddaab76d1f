; a constant key past max_entries: the lookup may fail and needs a NULL check
.type socket_filter
.map m array key=4 value=8 entries=4
    *(u32 *)(r10 -8) = 4
    r2 = r10
    r2 += -8
    r1 = map[m]
    call bpf_map_lookup_elem
    r0 = *(u64 *)(r0 +0)
    r0 = 0
    exit

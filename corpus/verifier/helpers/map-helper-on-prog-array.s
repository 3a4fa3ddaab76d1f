.type socket_filter
.map jt prog_array key=4 value=4 entries=4
    *(u32 *)(r10 -4) = 0
    r2 = r10
    r2 += -4
    r1 = map[jt]
    call bpf_map_lookup_elem
    r0 = 0
    exit

.type socket_filter
.map m hash key=4 value=8 entries=16

    *(u32 *)(r10 -4) = 0
    *(u64 *)(r10 -16) = 1
    r2 = r10
    r2 += -4
    r3 = r10
    r3 += -16
    r4 = 0
    r1 = map[m]
    call bpf_map_update_elem
    r0 = 0
    exit

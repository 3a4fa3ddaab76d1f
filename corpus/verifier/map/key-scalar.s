.type socket_filter
.map m hash key=4 value=8 entries=16

    r2 = 0
    r1 = map[m]
    call bpf_map_lookup_elem
    r0 = 0
    exit

; only array maps get the constant-key NULL elision
.type socket_filter
.map m hash key=4 value=8 entries=4
    *(u32 *)(r10 -8) = 0
    r2 = r10
    r2 += -8
    r1 = map[m]
    call bpf_map_lookup_elem
    r0 = *(u64 *)(r0 +0)
    r0 = 0
    exit

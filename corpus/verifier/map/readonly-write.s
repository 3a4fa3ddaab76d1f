.type socket_filter
.map m array key=4 value=8 entries=4 flags=0x80
    *(u32 *)(r10 -4) = 0
    r2 = r10
    r2 += -4
    r1 = map[m]
    call bpf_map_lookup_elem

    if r0 == 0 goto out
    *(u64 *)(r0 +0) = 1
    r0 = 0
out:
    exit

.type socket_filter
.map m array key=4 value=8 entries=16
    *(u32 *)(r10 -4) = 0
    r2 = r10
    r2 += -4
    r1 = map[m]
    call bpf_map_lookup_elem

    if r0 == 0 goto out
    r1 = 1
    lock *(u64 *)(r0 +0) += r1
    r0 = 0
out:
    exit

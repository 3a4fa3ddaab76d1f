.type socket_filter
.map m hash key=4 value=8 entries=16

    r6 = *(u32 *)(r1 +0)
    r6 <<= 32
    *(u32 *)(r10 -4) = 0
    r2 = r10
    r2 += -4
    r1 = map[m]
    call bpf_map_lookup_elem

    if r0 == 0 goto out
    r0 += r6
    r0 = 0
out:
    exit

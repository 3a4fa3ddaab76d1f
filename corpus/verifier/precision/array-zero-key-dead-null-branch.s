; key 0 held as zero bytes: the lookup is non-NULL, so the NULL branch is dead and never checked
.type socket_filter
.map m array key=4 value=8 entries=1
    r1 = 0
    *(u32 *)(r10 -4) = r1
    r2 = r10
    r2 += -4
    r1 = map[m]
    call bpf_map_lookup_elem
    if r0 != 0 goto ok
    r0 = *(u64 *)(r0 +0)
    exit
ok:
    r0 = 0
    exit

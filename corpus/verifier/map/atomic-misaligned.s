; atomics are always checked for natural alignment (strict even where plain loads are not)
.type socket_filter
.map m array key=4 value=16 entries=1
    *(u32 *)(r10 -4) = 0
    r2 = r10
    r2 += -4
    r1 = map[m]
    call bpf_map_lookup_elem
    if r0 == 0 goto out
    r1 = 1
    lock *(u32 *)(r0 +2) += r1
out:
    r0 = 0
    exit

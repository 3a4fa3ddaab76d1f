; a variable offset with unknown low bits makes an atomic possibly misaligned
.type socket_filter
.map m array key=4 value=16 entries=1
    *(u32 *)(r10 -4) = 0
    r2 = r10
    r2 += -4
    r1 = map[m]
    call bpf_map_lookup_elem
    if r0 == 0 goto out
    r6 = r0
    call bpf_get_prandom_u32
    r0 &= 4
    r6 += r0
    r1 = 1
    lock *(u64 *)(r6 +0) += r1
out:
    r0 = 0
    exit

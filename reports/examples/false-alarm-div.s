.type socket_filter
; explain example: (x & 7) / 2 is at most 3, but the verifier (6.18) keeps no bounds across BPF_DIV, so it
; rejects the map-value access; Z3 shows that no input reaches the failure (a false alarm).
.map m array key=4 value=8 entries=1
    r6 = *(u32 *)(r1 +0)
    r6 &= 7
    r6 /= 2
    *(u32 *)(r10 -4) = 0
    r2 = r10
    r2 += -4
    r1 = map[m]
    call bpf_map_lookup_elem
    if r0 == 0 goto out
    r0 += r6
    r0 = *(u8 *)(r0 +0)
out:
    r0 = 0
    exit

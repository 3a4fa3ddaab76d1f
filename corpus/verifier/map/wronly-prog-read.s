; A map created with BPF_F_WRONLY_PROG (0x100) cannot be read by the program.
.type socket_filter
.map wo array key=4 value=8 entries=1 flags=0x100
    *(u32 *)(r10 -4) = 0
    r2 = r10
    r2 += -4
    r1 = map[wo]
    call bpf_map_lookup_elem
    if r0 == 0x0 goto out
    r0 = *(u64 *)(r0 +0)
    exit
out:
    r0 = 0
    exit

; A map created with BPF_F_RDONLY_PROG (0x80) cannot be written by the program.
.type socket_filter
.map ro array key=4 value=8 entries=1 flags=0x80
    *(u32 *)(r10 -4) = 0
    r2 = r10
    r2 += -4
    r1 = map[ro]
    call bpf_map_lookup_elem
    if r0 == 0x0 goto out
    r1 = 1
    *(u64 *)(r0 +0) = r1
out:
    r0 = 0
    exit

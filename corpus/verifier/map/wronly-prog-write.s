; The counterpart of wronly-prog-read: writes to a BPF_F_WRONLY_PROG map are fine, and so are
; reads of a BPF_F_RDONLY_PROG map.
.type socket_filter
.map wo array key=4 value=8 entries=1 flags=0x100
.map ro array key=4 value=8 entries=1 flags=0x80
    *(u32 *)(r10 -4) = 0
    r2 = r10
    r2 += -4
    r1 = map[wo]
    call bpf_map_lookup_elem
    if r0 == 0x0 goto next
    r1 = 1
    *(u64 *)(r0 +0) = r1
next:
    r2 = r10
    r2 += -4
    r1 = map[ro]
    call bpf_map_lookup_elem
    if r0 == 0x0 goto out
    r0 = *(u64 *)(r0 +0)
    exit
out:
    r0 = 0
    exit

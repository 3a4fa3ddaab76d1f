; A map pointer reads as the kernel's struct behind it (struct bpf_array for an array,
; check_ptr_to_map_access), but programs may never write it.
.type socket_filter
.map m array key=4 value=8 entries=3
    r1 = map[m]
    r2 = 7
    *(u32 *)(r1 +0) = r2
    r0 = 0
    exit

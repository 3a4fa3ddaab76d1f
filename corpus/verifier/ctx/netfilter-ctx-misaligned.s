; nf_is_valid_access: bpf_nf_ctx has no context conversion, so a load must be aligned
; (off % size == 0) and whole: 4 bytes at offset 4 is neither.
.type netfilter
    r2 = *(u32 *)(r1 +4)
    r0 = 1
    exit

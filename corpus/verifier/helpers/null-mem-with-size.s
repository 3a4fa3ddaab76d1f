; ARG_PTR_TO_MEM | PTR_MAYBE_NULL: NULL is fine only with a size that is 0; here the size may be 64.
.type sched_cls
    r2 = *(u32 *)(r1 +0)
    r2 &= 64
    r1 = 0
    r3 = 0
    r4 = 0
    r5 = 0
    call bpf_csum_diff
    r0 = 0
    exit

; The counterpart of zero-size-at-frame-top.s: a zero-sized read at fp-8 is a stack access; both accept.
.type sched_cls
    *(u64 *)(r10 -8) = 0
    r1 = r10
    r1 += -8
    r2 = 0
    r3 = r10
    r3 += -8
    r4 = 8
    r5 = 0
    call bpf_csum_diff
    r0 = 0
    exit

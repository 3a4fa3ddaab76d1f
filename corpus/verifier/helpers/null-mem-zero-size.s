; The counterpart of null-mem-with-size: NULL with the size 0.
.type sched_cls
    r1 = 0
    r2 = 0
    r3 = 0
    r4 = 0
    r5 = 0
    call bpf_csum_diff
    r0 = 0
    exit

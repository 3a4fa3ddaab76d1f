; The context goes to helpers unmodified: not even a variable offset that happens to be 0..0.
.type sched_cls
    r2 = *(u32 *)(r1 +0)
    r2 &= 4
    r1 += r2
    r2 = 0
    r3 = r10
    r3 += -8
    r4 = 4
    call bpf_skb_load_bytes
    r0 = 0
    exit

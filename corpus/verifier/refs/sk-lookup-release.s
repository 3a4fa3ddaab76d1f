; bpf_sk_lookup_tcp on an all-zero IPv6 tuple (nothing listens on port 0: NULL in the kernel's
; test run and on the VM's empty socket table); the reference is released on the non-NULL path.
; r0 = 1 when the lookup found nothing.
.type sched_cls
    r2 = 0
    *(u32 *)(r10 -8) = r2
    *(u64 *)(r10 -16) = r2
    *(u64 *)(r10 -24) = r2
    *(u64 *)(r10 -32) = r2
    *(u64 *)(r10 -40) = r2
    r2 = r10
    r2 += -40
    r3 = 36
    r4 = -1
    r5 = 0
    call bpf_sk_lookup_tcp
    if r0 == 0 goto miss
    r1 = r0
    call bpf_sk_release
    r0 = 2
    exit
miss:
    r0 = 1
    exit

; The counterpart of long-arg-misaligned: the result pointer is 8-byte aligned.
.type cgroup_sysctl
    r7 = r10
    r7 += -8
    r0 = 0x00303036
    *(u64 *)(r7 +0) = r0
    r1 = r7
    r2 = 4
    r3 = 0
    r7 += -16
    r0 = 0
    *(u64 *)(r7 +0) = r0
    r4 = r7
    call bpf_strtoul
    r0 = 1
    exit

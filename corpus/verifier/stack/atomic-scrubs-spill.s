; An atomic on a stack slot writes data (check_atomic's write has value_regno -1): the slot's
; spilled register is scrubbed to STACK_MISC, so the path that still holds a spilled ctx pointer
; there is pruned against it (allow_uninit_stack: an explored MISC byte matches anything).
; Kernel-oracle fuzzing finding (bpflab rejected 'invalid size of register fill').
.type sched_cls
.map map0 array key=4 value=32 entries=1
.map map1 array key=4 value=8 entries=1
    r6 = r1
    w7 = 0
    *(u64 *)(r10 -24) = r6
    r9 = 0x0 ll
    r0 = r7
    r2 = *(u32 *)(r6 +76)
    r3 = *(u32 *)(r6 +80)
    r1 = r7
    r4 = r2
    if r4 <= r3 goto pc+1
    goto pc+0
    if r7 == r7 goto pc+0
    r2 += r1
    r4 = r2
    r4 += 1
    if r4 > r3 goto pc+3
    r7 = *(u8 *)(r2 +0)
    *(u32 *)(r10 -24) = r7
    r7 = atomic_xchg((u32 *)(r10 -24), r7)
    r7 = *(u32 *)(r10 -24)
    exit

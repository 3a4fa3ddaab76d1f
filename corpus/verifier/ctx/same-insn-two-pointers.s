; One load reached with the ctx pointer on one path and a stack pointer on the other: the kernel
; rewrites ctx loads for their context, so it refuses the instruction (save_aux_ptr_type).
; Kernel-oracle fuzzing finding (bpflab accepted such a program).
.type kprobe
    r6 = r1
    call bpf_get_prandom_u32
    *(u64 *)(r10 -8) = 0
    r2 = r10
    r2 += -8
    if r0 == 0 goto load
    r2 = r6
load:
    r0 = *(u32 *)(r2 +0)
    exit

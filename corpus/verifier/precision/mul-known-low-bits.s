; r8 * 64 has its low six bits known zero (tnum_mul), so `r8 == 1` can never hold: 6.18's
; is_scalar_branch_taken asks tnum_overlap before the ranges and skips the branch. Fuzzing finding.
.type kprobe
    r8 = *(u64 *)(r1 +0)
    r8 *= 64
    if r8 == 0x1 goto bad
    r0 = 0
    exit
bad:
    r0 = *(u64 *)(r8 +0)
    exit

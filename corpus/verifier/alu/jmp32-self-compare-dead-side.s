; A 32-bit comparison of a register with itself: `w0 <= w0` always holds, so its false side is
; dead. The kernel (6.18) walks it anyway, refines w0 to an empty range (u32=[1, 0]), reports
; "verifier bug: REG INVARIANTS VIOLATION (false_reg1)", drops the bounds (keeping only the
; tnum), and then finds the load of the scalar below reachable: it rejects a safe program.
; bpflab verifies as 6.18 does (reg_bounds_sanity_check's reset; EFAULT under
; BPF_F_TEST_REG_INVARIANTS) and rejects too (kernel fuzz campaign, seed 41; docs/findings.md).
.type socket_filter
    r0 = *(u32 *)(r1 +0)
    r0 &= 1
    if w0 <= w0 goto +0
    if w0 > 1 goto bad
    r0 = 0
    exit
bad:
    r0 = *(u64 *)(r0 +0)
    exit

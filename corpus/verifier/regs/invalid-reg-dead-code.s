.type socket_filter
; r11..r15 exist only in the encoding (4-bit register fields; MAX_BPF_REG is 11). The kernel
; meets a register in check_reg_arg, when exploration reaches the instruction, so invalid
; registers on a path it never walks load (a kernel-differential fuzz finding, `r15 = r0`).
    r0 = 0
    *(u64 *)(r10 -8) = r0
    if r0 == 0 goto out
    r15 = r0
    r11 = *(u64 *)(r10 -8)
    *(u64 *)(r12 -8) = r13
    if r14 > r0 goto out
    lock *(u64 *)(r10 -8) += r15
    r15 = 0x1 ll
out:
    exit

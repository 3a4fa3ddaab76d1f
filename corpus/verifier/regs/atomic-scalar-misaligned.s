.type xdp
; An atomic through a scalar: atomic_ptr_type_ok lets scalars through, and check_mem_access
; checks the (strict, for atomics) alignment before the register type, so a scalar whose low
; bits are unknown is reported as a misaligned access, not as "invalid mem access 'scalar'".
    call bpf_get_prandom_u32
    w3 = w0
    r1 = 1
    lock *(u32 *)(r3 +4) += r1
    r0 = 0
    exit

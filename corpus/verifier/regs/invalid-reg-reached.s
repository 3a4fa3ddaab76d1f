.type socket_filter
; A store naming r15 and r14 that exploration reaches: check_store_reg checks the source
; operand first, so the kernel names r14.
    r0 = 0
    *(u64 *)(r15 -8) = r14
    exit

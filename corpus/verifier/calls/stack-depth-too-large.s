; The counterpart of stack-depth-jit-rounding: 248 -> 256 plus 264 -> 272 is 528 > 512.
.type socket_filter
    r1 = 0
    *(u64 *)(r10 -248) = r1
    call sub
    r0 = 0
    exit
sub:
    r1 = 0
    *(u64 *)(r10 -264) = r1
    r0 = 0
    exit

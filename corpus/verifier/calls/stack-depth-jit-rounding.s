; With the JIT on, each frame's stack is rounded up to 16 bytes (round_up_stack_depth):
; 232 -> 240 plus 264 -> 272 is exactly 512 (32-byte rounding would make it 544).
.type socket_filter
    r1 = 0
    *(u64 *)(r10 -232) = r1
    call sub
    r0 = 0
    exit
sub:
    r1 = 0
    *(u64 *)(r10 -264) = r1
    r0 = 0
    exit

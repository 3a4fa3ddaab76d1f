.type socket_filter
; r4 = (s32) r3 leaves the subregister as it is: 6.18.44 keeps its s32 range [-3, 4] and
; the result's s64 range follows from it, so the stack write stays inside the frame.
    r6 = *(u32 *)(r1 +0)
    w3 = w6
    w3 &= 7
    w3 += -3
    r4 = (s32) r3
    r2 = r10
    r2 += -8
    r2 += r4
    r0 = 0
    *(u8 *)(r2 +0) = r0
    exit

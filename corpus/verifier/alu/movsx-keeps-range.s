.type socket_filter
; r7 = (s16) r6 with r6 in [-7, 0]: 6.18.44 keeps [-7, 0] (the value fits the narrow type,
; sign extension changes nothing), so the stack write below stays inside the frame.
    r6 = *(u32 *)(r1 +0)
    r6 &= 7
    r6 = -r6
    r7 = (s16) r6
    r2 = r10
    r2 += -8
    r2 += r7
    r0 = 0
    *(u8 *)(r2 +0) = r0
    exit

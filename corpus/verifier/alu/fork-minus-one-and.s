.type socket_filter
; r1 in [-1, 0] ANDed with a constant (clang's select as "sra; and"): the kernel forks the state
; (maybe_fork_scalars), one path with r1 = -1 (r1 & -8 = -8) and one with r1 = 0, so the stack
; offset stays known on each path instead of becoming unbounded.
    r1 = *(u32 *)(r1 +0)
    r1 &= 1
    r1 = -r1
    r1 &= -8
    r2 = r10
    r2 += -16
    r2 += r1
    r0 = 0
    *(u8 *)(r2 +0) = r0
    exit

; seven live copies of one scalar and a spilled eighth: the jump at "if r0 > 0xa" keeps six links (LINKED_REGS_MAX) and clears the id of the rest, in the current state only; the branch pushed at "if r3 == 0" still links the spill to r0, so its own bound check bounds the filled value (bpflab used to clear the id of the spilled register shared with the pushed state and rejected the stack access)
.type socket_filter
call bpf_get_prandom_u32
*(u64 *)(r10 -16) = r0
call bpf_get_prandom_u32
r1 = r0
r2 = r0
r6 = r0
r7 = r0
r8 = r0
r9 = r0
*(u64 *)(r10 -8) = r0
r3 = *(u64 *)(r10 -16)
if r3 == 0x0 goto sib
if r0 > 0xa goto out
r0 += r1
r0 += r2
r0 += r6
r0 += r7
r0 += r8
r0 += r9
out:
r0 = 0
exit
sib:
if r0 > 0xa goto out2
r1 = *(u64 *)(r10 -8)
r2 = r10
r2 += -32
r2 += r1
r0 = 0
*(u8 *)(r2 +0) = r0
out2:
r0 = 0
exit

; bpf_fib_lookup writes its params (MEM_WRITE since the stable fix 802eef5afb18, in the running 6.18.44): the 8 spilled at fp-64 before the call is forgotten, so the compare is open and the read past the frame is reached
.type xdp
r6 = r1
r1 = 0
*(u64 *)(r10 -8) = r1
*(u64 *)(r10 -16) = r1
*(u64 *)(r10 -24) = r1
*(u64 *)(r10 -32) = r1
*(u64 *)(r10 -40) = r1
*(u64 *)(r10 -48) = r1
*(u64 *)(r10 -56) = r1
r7 = 8
*(u64 *)(r10 -64) = r7
r1 = r6
r2 = r10
r2 += -64
r3 = 64
r4 = 0
call bpf_fib_lookup
r2 = *(u64 *)(r10 -64)
if r2 == 8 goto +1
r0 = *(u64 *)(r10 +8)
r0 = 0
exit

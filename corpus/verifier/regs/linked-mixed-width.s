; r7 = r6 + 1 in 32 bits and r8 = r6 + 2 in 64 bits share a base id; a branch pinning r7 must not sync r8 (zero-extended it would be 0): r8 may be 0x100000001, the map access is unbounded (the running 6.18.44's sync_linked_regs skips mixed-width links)
.type socket_filter
.map m array key=4 value=8 entries=1
call bpf_ktime_get_ns
r6 = r0
r1 = 1
r1 <<= 32
if r6 >= r1 goto +17
r7 = r6
w7 += 1
r8 = r6
r8 += 2
w2 = -1
if r7 < r2 goto +11
r1 = 0
*(u32 *)(r10 -4) = r1
r1 = map[m]
r2 = r10
r2 += -4
call bpf_map_lookup_elem
if r0 == 0 goto +2
r0 += r8
r0 = *(u8 *)(r0 +0)
r0 = 0
exit

; a socket that may be NULL compared equal with a map value is not NULL where they are equal
.type sk_lookup
.map a array key=4 value=8 entries=1
r6 = r1
*(u32 *)(r10 -4) = 0
r1 = map[a]
r2 = r10
r2 += -4
call bpf_map_lookup_elem
r2 = *(u64 *)(r6 +0)
if r2 != r0 goto +2
r0 = *(u32 *)(r2 +4)
r0 &= 1
r0 = 1
exit

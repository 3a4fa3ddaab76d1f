; a hash map value that may be NULL compared equal with an array map value is not NULL where they are equal
.type socket_filter
.map m hash key=4 value=8 entries=1
.map a array key=4 value=8 entries=1
*(u32 *)(r10 -4) = 0
r1 = map[a]
r2 = r10
r2 += -4
call bpf_map_lookup_elem
r6 = r0
r1 = map[m]
r2 = r10
r2 += -4
call bpf_map_lookup_elem
if r0 != r6 goto +2
r0 = *(u32 *)(r0 +4)
exit
r0 = 0
exit

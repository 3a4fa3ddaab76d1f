; a map value that may be NULL compared equal with reserved ring buffer memory is not NULL where they are equal
.type socket_filter
.map rb ringbuf key=0 value=0 entries=4096
.map m hash key=4 value=8 entries=1
r1 = map[rb]
r2 = 8
r3 = 0
call bpf_ringbuf_reserve
if r0 == 0 goto +12
r6 = r0
*(u32 *)(r10 -4) = 0
r1 = map[m]
r2 = r10
r2 += -4
call bpf_map_lookup_elem
if r0 != r6 goto +1
r7 = *(u32 *)(r0 +4)
r1 = r6
r2 = 0
call bpf_ringbuf_discard
r0 = 0
exit

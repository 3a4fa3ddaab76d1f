; a map value that may be NULL compared equal with the ctx stays map_value_or_null (the ctx is not a reg_not_null type)
.type socket_filter
.map m hash key=4 value=8 entries=1
*(u32 *)(r10 -4) = 0
r6 = r1
r1 = map[m]
r2 = r10
r2 += -4
call bpf_map_lookup_elem
if r0 != r6 goto +2
r0 = *(u32 *)(r0 +4)
exit
r0 = 0
exit

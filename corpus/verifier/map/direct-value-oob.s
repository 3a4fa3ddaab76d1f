.type socket_filter
.map g array key=4 value=16 entries=1
    r1 = map_value[g] + 8
    r0 = *(u64 *)(r1 +8)
    exit

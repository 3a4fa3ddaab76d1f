.type socket_filter
; map_value[] needs a single-element array: array_map_direct_value_addr refuses one with more
; entries (-ENOTSUPP), reported as an invalid access while ld_imm64s are resolved.
.map g array key=4 value=16 entries=2
    r1 = map_value[g] + 8
    r0 = *(u64 *)(r1 +0)
    exit

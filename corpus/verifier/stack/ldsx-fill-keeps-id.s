; Accepted counterpart: when the narrow value fits below its sign bit, the sign-extending fill equals the spill and stays linked to it.
.type socket_filter
.map m array key=4 value=32776 entries=1
    call bpf_ktime_get_ns
    r7 = r0
    r7 &= 0x7fff
    *(u16 *)(r10 -24) = r7
    r8 = *(s16 *)(r10 -24)
    if r7 < 0x100 goto out       ; refines r7 to [0x100, 0x7fff], and r8 with it: the same value
    *(u32 *)(r10 -4) = 0
    r1 = map[m]
    r2 = r10
    r2 += -4
    call bpf_map_lookup_elem
    if r0 == 0 goto out
    r8 -= 0x100                 ; [0, 0x7eff]
    r0 += r8
    r0 = *(u8 *)(r0 +0)         ; inside the 32776-byte value
out:
    r0 = 0
    exit

; A sign-extending fill of a narrow spill breaks the link to the spilled register (found by the embed oracle).
.type socket_filter
.map m array key=4 value=32776 entries=1
    call bpf_ktime_get_ns
    r7 = r0
    r7 &= 65535
    *(u16 *)(r10 -24) = r7
    r8 = *(s16 *)(r10 -24)      ; bpflab: R8=scalar(id=2,smin=-32768,smax=32767) -- still linked to r7
    if r7 < 0x8000 goto out     ; refines r7 to [0x8000, 0xffff], and r8 with it: wrong, r8 < 0 here
    *(u32 *)(r10 -4) = 0
    r1 = map[m]
    r2 = r10
    r2 += -4
    call bpf_map_lookup_elem
    if r0 == 0 goto out
    r8 -= 0x8000                ; bpflab believes [0, 0x7fff]; really [-65536, -32769]
    r0 += r8
    r0 = *(u8 *)(r0 +0)         ; bpflab accepts; the kernel: "R0 min value is negative ..."
out:
    r0 = 0
    exit

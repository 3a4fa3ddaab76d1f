; A map value pointer moved one byte below the value (r3 = value - 1) is still in bounds for a
; load at +47 (byte 46): the kernel allows it, and the VM and JIT must read the byte, not fault.
; Fuzzing finding (the VM faulted).
.type socket_filter
.map map0 array key=4 value=48 entries=13
    *(u32 *)(r10 -64) = 8
    r1 = map[map0]
    r2 = r10
    r2 += -64
    call bpf_map_lookup_elem
    if r0 == 0 goto out
    r1 = 171
    *(u8 *)(r0 +46) = r1
    r3 = r0
    r3 += -1
    r9 = *(u8 *)(r3 +47)
    r0 = r9
    exit
out:
    r0 = 0
    exit

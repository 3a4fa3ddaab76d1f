.type kprobe
.map m percpu_array key=4 value=16 entries=4
; w7 is 0 or 0x80000000. "if w7 > w7" refines w7 in place to u32 [1, 0x7fffffff], which leaves
; var_off the constant 0; __update_reg64_bounds then makes the register that constant (the
; u64 range and the tnum meet only in tmax), so "w7 s>= 16" is decided and the lookup with an
; uninitialised key is never verified.
    r7 = *(u32 *)(r1 +36)
    w7 <<= 31
    if w7 > w7 goto l1
l1:
    if w7 s>= 0x10 goto bad
    goto out
bad:
    r1 = map[m]
    r2 = r10
    call bpf_map_lookup_elem
out:
    w0 = w7
    exit

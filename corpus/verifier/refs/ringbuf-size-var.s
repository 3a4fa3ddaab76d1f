.type kprobe
.map rb ringbuf key=0 value=0 entries=4096

    call bpf_get_prandom_u32
    r2 = r0
    r2 &= 0xff
    r1 = map[rb]
    r3 = 0
    call bpf_ringbuf_reserve
    if r0 == 0 goto out
    r1 = r0
    r2 = 0
    call bpf_ringbuf_discard
out:
    r0 = 0
    exit

.type kprobe
.map rb ringbuf key=0 value=0 entries=4096

    r6 = r1
    r1 = map[rb]
    r2 = 8
    r3 = 0
    call bpf_ringbuf_reserve

    if r0 == 0 goto out
    r7 = r0
    call bpf_get_prandom_u32
    if r0 == 1 goto out
    r1 = r7
    r2 = 0
    call bpf_ringbuf_submit
out:
    r0 = 0
    exit

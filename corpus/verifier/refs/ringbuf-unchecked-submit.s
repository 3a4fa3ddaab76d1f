.type kprobe
.map rb ringbuf key=0 value=0 entries=4096
    r1 = map[rb]
    r2 = 8
    r3 = 0
    call bpf_ringbuf_reserve

    r1 = r0
    r2 = 0
    call bpf_ringbuf_submit
    r0 = 0
    exit

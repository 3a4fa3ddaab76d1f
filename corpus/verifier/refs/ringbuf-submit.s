.type kprobe
.map rb ringbuf key=0 value=0 entries=4096
    r1 = map[rb]
    r2 = 8
    r3 = 0
    call bpf_ringbuf_reserve

    if r0 == 0 goto out
    r1 = 1
    *(u64 *)(r0 +0) = r1
    r1 = r0
    r2 = 0
    call bpf_ringbuf_submit
out:
    r0 = 0
    exit

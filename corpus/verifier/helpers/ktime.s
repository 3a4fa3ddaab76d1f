.type kprobe
    call bpf_ktime_get_ns
    exit

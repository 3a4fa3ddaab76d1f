.type socket_filter
    call bpf_ktime_get_ns
    r0 = r1
    exit

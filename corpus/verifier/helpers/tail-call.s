.type socket_filter
.map jt prog_array key=4 value=4 entries=4
    r2 = map[jt]
    r3 = 0
    call bpf_tail_call
    r0 = 0
    exit

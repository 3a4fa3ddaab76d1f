.type socket_filter
.map m hash key=4 value=8 entries=4
    r2 = map[m]
    r3 = 0
    call bpf_tail_call
    r0 = 0
    exit

.type socket_filter
    call f
    r0 = 0
    exit
f:
    r0 = r10
    exit

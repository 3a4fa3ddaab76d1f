.type socket_filter
    r6 = 7
    call f
    r0 = r6
    exit
f:
    r6 = 1
    r0 = 0
    exit

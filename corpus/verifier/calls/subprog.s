.type socket_filter
    r1 = 1
    call inc
    exit
inc:
    r0 = r1
    r0 += 1
    exit

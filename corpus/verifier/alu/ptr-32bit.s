.type socket_filter
    w1 += 4
    r0 = 0
    exit

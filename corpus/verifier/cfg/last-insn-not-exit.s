.type socket_filter
    r0 = 0
    r0 += 1

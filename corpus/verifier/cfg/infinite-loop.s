.type socket_filter
    r0 = 0
loop:
    r0 = 0
    goto loop

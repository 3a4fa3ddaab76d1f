.type socket_filter
    r0 = 0
    r1 = 0
loop:
    r1 += 1
    if r1 < 1000000 goto loop
    exit

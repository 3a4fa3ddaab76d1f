.type socket_filter
.map m hash key=4 value=8 entries=16

    r1 = map[m]
    r1 += 8
    r0 = 0
    exit

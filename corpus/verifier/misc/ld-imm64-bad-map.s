; a map reference naming no map of the program
.type socket_filter
.map m array key=4 value=8 entries=1
    r1 = map[id:7]
    r0 = 0
    exit

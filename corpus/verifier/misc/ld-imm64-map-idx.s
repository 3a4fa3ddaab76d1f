; a map referenced by index into fd_array (src 5) when the load passes no fd_array
.type socket_filter
.map m array key=4 value=8 entries=1
    r1 = map[idx:0]
    r0 = 0
    exit

.type socket_filter
    call f
    exit
f:
    exit

.type socket_filter
    exit

; a static subprogram may exit without writing r0 when the caller does not read it
.type socket_filter
    r6 = r1
    call f
    r0 = 0
    exit
f:
    r1 = 1
    exit

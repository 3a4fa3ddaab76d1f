; without BTF func_info the kernel refuses LD_ABS outside the main program
.type socket_filter
    r6 = r1
    call f
    exit
f:
    r0 = *(u8 *)skb[0]
    exit

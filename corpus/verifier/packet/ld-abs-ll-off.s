; LD_ABS with the negative bases in a socket filter: skb->data is the network header, so the
; EtherType is reached through SKF_LL_OFF (-0x200000) + 12 and the IP version byte at
; SKF_NET_OFF (-0x100000) + 0. r0 = EtherType << 8 | first IP byte.
.type socket_filter
    r6 = r1
    r0 = *(u16 *)skb[-2097140]
    r7 = r0
    r0 = *(u8 *)skb[-1048576]
    r7 <<= 8
    r0 |= r7
    exit

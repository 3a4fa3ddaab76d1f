.type socket_filter
; A socket filter sees the packet from the network header on, but LD_ABS at SKF_LL_OFF reads
; from the MAC header before it (bpf_internal_load_pointer_neg_helper): the Ethernet header's
; first bytes exist, so the load succeeds and the program returns 1.
    r6 = r1
    r0 = *(u16 *)skb[-2097152]
    r0 = 1
    exit

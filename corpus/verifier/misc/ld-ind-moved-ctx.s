.type socket_filter
; LD_IND reads the skb through R6, which must be the context itself: R6 moved by a variable
; amount is refused (check_ld_abs -> check_ptr_off_reg).
    r6 = r1
    r7 = *(u32 *)(r1 +0)
    r7 &= 7
    r6 += r7
    r0 = *(u8 *)skb[r7 + 0]
    r0 = 0
    exit

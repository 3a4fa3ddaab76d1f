; 6.17+: the false side of JSET forgets r0's ranges before narrowing its tnum, so 'r0 > 105'
; is possible again and the branch writing r10 is checked: rejected (bpflab kept the range).
.type socket_filter
    r0 = *(u32 *)(r1 +0)
    if r0 > 100 goto out
    if r0 & 0x10 goto out
    if r0 > 105 goto bad
out:
    r0 = 0
    exit
bad:
    r10 = 0
    exit

; The IPv4 source address, read as one u32 right after a 14-byte Ethernet header.
; With BPF_F_STRICT_ALIGNMENT the kernel assumes the packet starts NET_IP_ALIGN (2)
; bytes into a word, so offset 14+12 = 26 is 2+26 = 28: aligned, accepted.
.type xdp
    r2 = *(u32 *)(r1 +0)
    r3 = *(u32 *)(r1 +4)
    r4 = r2
    r4 += 34
    if r4 > r3 goto pass
    r0 = *(u32 *)(r2 +26)
    r0 &= 1
    exit
pass:
    r0 = 2
    exit

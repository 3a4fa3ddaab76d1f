; XDP: read the IPv4 protocol byte, but the bounds check only covers the Ethernet header.
; The verifier rejects the load at pc 8; `bpflab explain` shows a packet that really faults.
;   npx bpflab verify examples/xdp-parse-bug.s --log
;   npx bpflab explain examples/xdp-parse-bug.s
.type xdp
entry:
    r2 = *(u32 *)(r1 +0)                 ; ctx->data
    r3 = *(u32 *)(r1 +4)                 ; ctx->data_end
    r4 = r2
    r4 += 14
    if r4 > r3 goto pass                 ; checks 14 bytes (Ethernet) ...
    r5 = *(u16 *)(r2 +12)
    if r5 != 0x8 goto pass               ; IPv4 (0x0800 in network order)
    r0 = *(u8 *)(r2 +23)                 ; ... but reads byte 23 (IP protocol): out of bounds
    if r0 == 0x11 goto drop              ; UDP
pass:
    r0 = 2                               ; XDP_PASS
    exit
drop:
    r0 = 1                               ; XDP_DROP
    exit

; XDP: count packets per EtherType in a hash map, drop IPv6, pass the rest.
; Run:    npx bpflab run examples/xdp-count-proto.s --packet @examples/ipv6-packet.hex
; Verify: npx bpflab verify examples/xdp-count-proto.s --log
.type xdp
.map counts hash key=2 value=8 entries=64

entry:
    r6 = r1
    r2 = *(u32 *)(r6 +0)                 ; ctx->data
    r3 = *(u32 *)(r6 +4)                 ; ctx->data_end
    r4 = r2
    r4 += 14
    if r4 > r3 goto pass                 ; need a whole Ethernet header
    r7 = *(u16 *)(r2 +12)                ; EtherType (network order)
    *(u16 *)(r10 -2) = r7                ; key on the stack
    r1 = map[counts]
    r2 = r10
    r2 += -2
    call bpf_map_lookup_elem
    if r0 == 0x0 goto new
    r1 = 1
    lock *(u64 *)(r0 +0) += r1
    goto decide
new:
    r1 = 1
    *(u64 *)(r10 -16) = r1
    r1 = map[counts]
    r2 = r10
    r2 += -2
    r3 = r10
    r3 += -16
    r4 = 0
    call bpf_map_update_elem
decide:
    if r7 != 0xdd86 goto pass            ; 0x86dd read as little-endian u16
    r0 = 1                               ; XDP_DROP
    exit
pass:
    r0 = 2                               ; XDP_PASS
    exit

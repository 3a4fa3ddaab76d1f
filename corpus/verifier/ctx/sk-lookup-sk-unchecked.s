; bpf_sk_lookup.sk is PTR_TO_SOCKET_OR_NULL (no socket selected yet): reading through it
; without a NULL check is refused.
.type sk_lookup
    r2 = *(u64 *)(r1 +0)
    r0 = *(u32 *)(r2 +4)
    r0 = 1
    exit

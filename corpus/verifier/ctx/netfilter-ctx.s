; A netfilter program's context is struct bpf_nf_ctx { state; skb; }: both load whole as
; trusted kernel pointers (nf_hook_state, sk_buff); NF_ACCEPT when the skb is there.
.type netfilter
    r2 = *(u64 *)(r1 +0)
    r3 = *(u64 *)(r1 +8)
    r0 = 0
    if r3 == 0 goto out
    r0 = 1
out:
    exit

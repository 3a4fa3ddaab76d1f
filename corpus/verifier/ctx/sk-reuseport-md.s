; sk_reuseport_md: data/data_end are packet pointers (bounds-checked read), sk is a full
; socket that needs no NULL check, migrating_sk may be NULL.
.type sk_reuseport
    r2 = *(u64 *)(r1 +0)
    r3 = *(u64 *)(r1 +8)
    r6 = *(u64 *)(r1 +40)
    r7 = *(u64 *)(r1 +48)
    r0 = *(u32 *)(r6 +4)
    r4 = r2
    r4 += 4
    if r4 > r3 goto out
    r0 = *(u32 *)(r2 +0)
out:
    r0 = 1
    exit

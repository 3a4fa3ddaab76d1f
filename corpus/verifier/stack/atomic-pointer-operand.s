; A privileged loader may add a pointer into memory with an atomic (no leak check): the slot then holds data.
.type socket_filter
    r2 = 0
    *(u64 *)(r10 -8) = r2
    r1 = atomic64_fetch_add((u64 *)(r10 -8), r1)
    r0 = *(u64 *)(r10 -8)
    exit

.type socket_filter
    r0 = *(u32 *)(r1 +0)
    if r0 > 100 goto big
    r0 = 1
    goto out
big:
    r0 = 2
out:
    exit

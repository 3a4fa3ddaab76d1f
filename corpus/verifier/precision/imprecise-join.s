.type socket_filter
    r6 = *(u32 *)(r1 +0)
    if r6 > 10 goto one
    r7 = 0
    goto join
one:
    r7 = 1
join:
    r0 = r7
    r0 += 5
    if r6 > 20 goto out
    r0 = 0
out:
    exit

; a socket that may be NULL compared equal with r10 stays sock_or_null: the running kernel lifts MAYBE_NULL only against a pointer reg_not_null vouches for (campaign seed 20261208, finding f99f22)
.type sk_lookup
r2 = *(u64 *)(r1 +0)
r0 = 1
if r2 != r10 goto +2
r0 = *(u32 *)(r2 +4)
r0 &= 1
exit

/**
 * Seed programs near the planted verifier bug (VerifyOptions.plantedBug 'jgt-fall-as-jlt'), for
 * the planted-bug and queue tests: a random index bounded by `if r0 > 6`, then a stack read (one
 * byte at r10 - 6 + r0) that stays inside the frame for r0 <= 5 only. The real verifier rejects
 * it (r0 may be 6); with the bug it believes r0 <= 5 and accepts, and r0 = 6 reads past the frame.
 */
export const NEAR_JGT = `
    .type socket_filter
    call bpf_get_prandom_u32
    r0 &= 7
    if r0 > 6 goto out
    *(u64 *)(r10 -8) = 0
    r1 = r10
    r1 += r0
    r2 = *(u8 *)(r1 -6)
    r0 = 0
    exit
out:
    r0 = 0
    exit`;

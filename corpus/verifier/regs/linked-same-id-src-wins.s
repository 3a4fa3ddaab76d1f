.type xdp
; r0 and r1 are copies (one id). "if r1 > r0": reg_set_min_max gives dst r1 [1, 255] and src r0
; [0, 254] on the taken side; check_cond_jmp_op then syncs src's linked registers (r1 becomes
; r0's [0, 254]) before dst's (r1, now [0, 254], is copied back). Every copy ends with src's
; refinement, so r0 == 0 stays possible and the scalar dereference below is reached.
    call bpf_get_prandom_u32
    r0 &= 0xff
    r1 = r0
    if r1 > r0 goto l1
    r0 = 0
    exit
l1:
    if r0 != 0 goto out
    r2 = *(u64 *)(r0 +0)
out:
    r0 = 0
    exit

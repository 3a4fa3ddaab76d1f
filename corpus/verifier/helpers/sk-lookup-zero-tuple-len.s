; bpf_sk_lookup_tcp with a tuple length of 0: since Linux 6.11 ("bpf: Relax tuple len requirement for sk
; helpers") the sk/skc lookup helpers take ARG_CONST_SIZE_OR_ZERO (a wrong length just finds nothing),
; so the kernel accepts; bpflab refused it ("R3 invalid zero-sized read"). Kernel fuzz campaign, seed 43.
.type sched_cls
    r2 = r10
    r2 += -40
    r3 = 0
    r4 = -1
    r5 = 0
    call bpf_sk_lookup_tcp
    if r0 == 0 goto out
    r1 = r0
    call bpf_sk_release
out:
    r0 = 0
    exit

.type socket_filter
; A BPF_MOV with its reserved offset set, on a path the verifier never walks: check_alu_op
; judges the encoding only where do_check reaches it, so the program loads.
    r0 = 0
    if r0 == 0 goto out
.insn 0xb7 1 0 1 0
out:
    exit

; A zero-sized helper read at fp+0: check_stack_access_within_bounds wants the access's lowest byte
; inside the stack (at most fp-1) whatever its size, so the kernel refuses it (bpf_csum_diff's `from`,
; a read-only ARG_PTR_TO_MEM with a size that may be zero). Kernel fuzz campaign, seed 42 (there with
; bpf_dynptr_write's source).
.type sched_cls
    *(u64 *)(r10 -8) = 0
    r1 = r10
    r2 = 0
    r3 = r10
    r3 += -8
    r4 = 8
    r5 = 0
    call bpf_csum_diff
    r0 = 0
    exit

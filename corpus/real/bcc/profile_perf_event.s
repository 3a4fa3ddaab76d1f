; profile-bpfcc do_perf_event (perf_event); bcc load: ok
.type perf_event
.map counts hash key=40 value=8 entries=10240
.map stack_traces stack_trace key=4 value=1016 entries=2048
r6 = r1
call bpf_get_current_pid_tgid#14
r1 = r0
r1 <<= 32
r1 >>= 32
if r1 == 0x0 goto pc+65
r1 = 0xffffffff00000000 ll
r0 &= r1
r1 = 0x100000000 ll
if r0 != r1 goto pc+59
r7 = 0
*(u64 *)(r10 -40) = r7
r1 = 1
*(u32 *)(r10 -40) = r1
*(u64 *)(r10 -8) = r7
*(u64 *)(r10 -16) = r7
*(u64 *)(r10 -24) = r7
*(u64 *)(r10 -32) = r7
r1 = r10
r1 += -16
r2 = 16
call bpf_get_current_comm#16
r1 = 0xffffffff ll
*(u32 *)(r10 -24) = r1
r2 = map[stack_traces]
r1 = r6
r3 = 0
call bpf_get_stackid#27
*(u32 *)(r10 -20) = r0
r0 <<= 32
r0 s>>= 32
if r7 s> r0 goto pc+5
r1 = *(u64 *)(r6 +128)
r2 = 0xff11000000000001 ll
if r2 > r1 goto pc+1
*(u64 *)(r10 -32) = r1
r1 = *(u64 *)(r10 -8)
*(u64 *)(r10 -48) = r1
r1 = *(u64 *)(r10 -16)
*(u64 *)(r10 -56) = r1
r1 = *(u64 *)(r10 -24)
*(u64 *)(r10 -64) = r1
r1 = *(u64 *)(r10 -32)
*(u64 *)(r10 -72) = r1
r1 = *(u64 *)(r10 -40)
*(u64 *)(r10 -80) = r1
r1 = map[counts]
r2 = r10
r2 += -80
call bpf_map_lookup_elem#1
if r0 == 0x0 goto pc+4
r1 = *(u64 *)(r0 +0)
r1 += 1
*(u64 *)(r0 +0) = r1
goto pc+10
r1 = 1
*(u64 *)(r10 -88) = r1
r1 = map[counts]
r2 = r10
r2 += -80
r3 = r10
r3 += -88
r4 = 1
call bpf_map_update_elem#2
r0 = 0
exit


; offcputime-bpfcc oncpu (kprobe); bcc load: ok
.type kprobe
.map counts hash key=32 value=8 entries=10240
.map stack_traces stack_trace key=4 value=1016 entries=1024
.map start hash key=4 value=8 entries=10240
.map warn_events perf_event_array key=4 value=4 entries=2
r6 = r1
r7 = *(u64 *)(r6 +112)
r8 = 0
*(u32 *)(r10 -48) = r8
r3 = r7
r3 += 2416
r1 = r10
r1 += -48
r2 = 4
call bpf_probe_read#4
r1 = *(u32 *)(r10 -48)
*(u32 *)(r10 -4) = r1
r7 += 2420
*(u32 *)(r10 -48) = r8
r1 = r10
r1 += -48
r2 = 4
r3 = r7
call bpf_probe_read#4
call bpf_ktime_get_ns#5
*(u64 *)(r10 -16) = r0
r1 = map[start]
r7 = r10
r7 += -4
r3 = r10
r3 += -16
r2 = r7
r4 = 0
call bpf_map_update_elem#2
call bpf_get_current_pid_tgid#14
*(u32 *)(r10 -4) = r0
call bpf_get_current_pid_tgid#14
r8 = r0
r1 = map[start]
r2 = r7
call bpf_map_lookup_elem#1
if r0 == 0x0 goto pc+75
r8 >>= 32
r9 = *(u64 *)(r0 +0)
call bpf_ktime_get_ns#5
r7 = r0
r1 = map[start]
r2 = r10
r2 += -4
call bpf_map_delete_elem#3
if r7 >= r9 goto pc+15
*(u32 *)(r10 -36) = r7
*(u32 *)(r10 -40) = r9
*(u32 *)(r10 -44) = r8
r1 = *(u32 *)(r10 -4)
*(u32 *)(r10 -48) = r1
r2 = map[warn_events]
r4 = r10
r4 += -48
r1 = r6
r3 = 0xffffffff ll
r5 = 16
call bpf_perf_event_output#25
goto pc+50
r7 -= r9
r1 = 1000
if r1 > r7 goto pc+47
r7 /= 1000
r1 = 0xffffffff ll
*(u32 *)(r10 -40) = r1
*(u32 *)(r10 -44) = r8
r1 = *(u32 *)(r10 -4)
*(u32 *)(r10 -48) = r1
r1 = 0
*(u64 *)(r10 -24) = r1
*(u64 *)(r10 -32) = r1
r2 = map[stack_traces]
r1 = r6
r3 = 0
call bpf_get_stackid#27
*(u32 *)(r10 -36) = r0
r1 = r10
r1 += -32
r2 = 16
call bpf_get_current_comm#16
r1 = *(u64 *)(r10 -24)
*(u64 *)(r10 -56) = r1
r1 = *(u64 *)(r10 -32)
*(u64 *)(r10 -64) = r1
r1 = *(u64 *)(r10 -40)
*(u64 *)(r10 -72) = r1
r1 = *(u64 *)(r10 -48)
*(u64 *)(r10 -80) = r1
r1 = map[counts]
r2 = r10
r2 += -80
call bpf_map_lookup_elem#1
if r0 == 0x0 goto pc+4
r1 = *(u64 *)(r0 +0)
r1 += r7
*(u64 *)(r0 +0) = r1
goto pc+9
*(u64 *)(r10 -88) = r7
r1 = map[counts]
r2 = r10
r2 += -80
r3 = r10
r3 += -88
r4 = 1
call bpf_map_update_elem#2
r0 = 0
exit


; o2_kstackmap sched_switch_1 (bpftrace); bcc load: ok
.type tracepoint
.map stack_6 stack_trace key=4 value=80 entries=131072
.map stack_5 stack_trace key=4 value=24 entries=131072
.map AT__4 percpu_hash key=24 value=8 entries=4096
r6 = r1
r2 = map[stack_6]
r3 = 0
call bpf_get_stackid#27
*(u64 *)(r10 -32) = r0
r2 = map[stack_5]
r1 = r6
r3 = 256
call bpf_get_stackid#27
r7 = r0
call bpf_get_current_pid_tgid#14
r0 <<= 32
r0 |= r7
*(u64 *)(r10 -24) = r0
r1 = *(u64 *)(r6 +32)
*(u64 *)(r10 -16) = r1
r1 = map[AT__4]
r2 = r10
r2 += -32
call bpf_map_lookup_elem#1
r1 = 1
if r0 == 0x0 goto pc+2
r1 = *(u64 *)(r0 +0)
r1 += 1
*(u64 *)(r10 -8) = r1
r1 = map[AT__4]
r2 = r10
r2 += -32
r3 = r10
r3 += -8
r4 = 0
call bpf_map_update_elem#2
r0 = 1
exit


; tcpdrop-bpfcc tracepoint__skb__kfree_skb (tracepoint); bcc load: ok
.type tracepoint
.map ipv4_events perf_event_array key=4 value=4 entries=2
.map ipv6_events perf_event_array key=4 value=4 entries=2
.map stack_traces stack_trace key=4 value=1016 entries=1024
r6 = r1
r9 = *(u64 *)(r6 +8)
r1 = 0
*(u64 *)(r10 -80) = r1
r3 = r9
r3 += 24
r1 = r10
r1 += -80
r2 = 8
call bpf_probe_read#4
r1 = *(u32 *)(r6 +36)
r2 = 2
if r2 > r1 goto pc+193
r7 = *(u64 *)(r10 -80)
if r7 == 0x0 goto pc+191
*(u64 *)(r10 -88) = r6
call bpf_get_current_pid_tgid#14
*(u64 *)(r10 -104) = r0
r1 = 0
*(u16 *)(r10 -80) = r1
r3 = r7
r3 += 16
r1 = r10
r1 += -80
r2 = 2
call bpf_probe_read#4
r1 = *(u16 *)(r10 -80)
*(u64 *)(r10 -112) = r1
*(u64 *)(r10 -120) = r7
r3 = r7
r3 += 18
r6 = 0
*(u8 *)(r10 -80) = r6
r1 = r10
r1 += -80
r2 = 1
call bpf_probe_read#4
r1 = *(u8 *)(r10 -80)
*(u64 *)(r10 -96) = r1
*(u64 *)(r10 -80) = r6
r6 = 0
r7 = r9
r7 += 200
r1 = r10
r1 += -80
r2 = 8
r3 = r7
call bpf_probe_read#4
r8 = *(u64 *)(r10 -80)
*(u16 *)(r10 -80) = r6
r3 = r9
r3 += 182
r1 = r10
r1 += -80
r2 = 2
call bpf_probe_read#4
r6 = *(u16 *)(r10 -80)
r1 = 0
*(u64 *)(r10 -80) = r1
r1 = r10
r1 += -80
r2 = 8
r3 = r7
call bpf_probe_read#4
r9 += 184
r1 = *(u64 *)(r10 -80)
*(u64 *)(r10 -128) = r1
r1 = 0
*(u16 *)(r10 -80) = r1
r1 = r10
r1 += -80
r2 = 2
r3 = r9
call bpf_probe_read#4
r8 += r6
r6 = 0
r1 = *(u16 *)(r10 -80)
*(u64 *)(r10 -136) = r1
*(u8 *)(r10 -80) = r6
r1 = r10
r1 += -80
r3 = r8
r3 += 13
r2 = 1
call bpf_probe_read#4
r7 = *(u8 *)(r10 -80)
*(u16 *)(r10 -80) = r6
r1 = r10
r1 += -80
r2 = 2
r3 = r8
call bpf_probe_read#4
r9 = *(u16 *)(r10 -80)
*(u16 *)(r10 -80) = r6
r8 += 2
r1 = r10
r1 += -80
r2 = 2
r3 = r8
call bpf_probe_read#4
r3 = *(u64 *)(r10 -112)
r2 = *(u64 *)(r10 -104)
r2 >>= 32
r9 = be16 r9
r8 = *(u16 *)(r10 -80)
r8 = be16 r8
if r3 == 0xa goto pc+55
*(u64 *)(r10 -104) = r7
r1 = *(u64 *)(r10 -96)
r1 = *(u64 *)(r10 -88)
if r3 != 0x2 goto pc+95
r6 = *(u64 *)(r10 -128)
r3 = *(u64 *)(r10 -136)
r6 += r3
r7 = 0
*(u64 *)(r10 -80) = r7
*(u32 *)(r10 -80) = r2
*(u64 *)(r10 -48) = r7
*(u64 *)(r10 -56) = r7
*(u64 *)(r10 -64) = r7
r1 = 4
*(u64 *)(r10 -72) = r1
*(u32 *)(r10 -4) = r7
r3 = r6
r3 += 12
r1 = r10
r1 += -4
r2 = 4
call bpf_probe_read#4
r1 = *(u32 *)(r10 -4)
*(u32 *)(r10 -64) = r1
r6 += 16
*(u32 *)(r10 -4) = r7
r1 = r10
r1 += -4
r2 = 4
r3 = r6
call bpf_probe_read#4
*(u16 *)(r10 -54) = r8
r1 = *(u64 *)(r10 -104)
*(u8 *)(r10 -51) = r1
r1 = *(u64 *)(r10 -96)
*(u8 *)(r10 -52) = r1
*(u16 *)(r10 -56) = r9
r1 = *(u32 *)(r10 -4)
*(u32 *)(r10 -60) = r1
r2 = map[stack_traces]
r6 = *(u64 *)(r10 -88)
r1 = r6
r3 = 0
call bpf_get_stackid#27
*(u32 *)(r10 -48) = r0
r2 = map[ipv4_events]
r4 = r10
r4 += -80
r1 = r6
r3 = 0xffffffff ll
r5 = 40
goto pc+43
r1 = 6
*(u64 *)(r10 -72) = r1
*(u64 *)(r10 -80) = r6
*(u32 *)(r10 -80) = r2
*(u64 *)(r10 -24) = r6
*(u64 *)(r10 -32) = r6
*(u64 *)(r10 -40) = r6
*(u64 *)(r10 -48) = r6
*(u64 *)(r10 -56) = r6
*(u64 *)(r10 -64) = r6
r6 = *(u64 *)(r10 -120)
r3 = r6
r3 += 56
r1 = r10
r1 += -64
r2 = 16
call bpf_probe_read_kernel#113
r6 += 72
r1 = r10
r1 += -48
r2 = 16
r3 = r6
call bpf_probe_read_kernel#113
*(u16 *)(r10 -30) = r8
*(u8 *)(r10 -27) = r7
r1 = *(u64 *)(r10 -96)
*(u8 *)(r10 -28) = r1
*(u16 *)(r10 -32) = r9
r2 = map[stack_traces]
r6 = *(u64 *)(r10 -88)
r1 = r6
r3 = 0
call bpf_get_stackid#27
*(u32 *)(r10 -24) = r0
r2 = map[ipv6_events]
r4 = r10
r4 += -80
r1 = r6
r3 = 0xffffffff ll
r5 = 64
call bpf_perf_event_output#25
r0 = 0
exit


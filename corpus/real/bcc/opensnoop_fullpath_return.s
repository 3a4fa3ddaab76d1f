; opensnoop-bpfcc trace_return (kretprobe); bcc load: fail Failed to load BPF program b'trace_return': Permission denied
.type kprobe
.map events perf_event_array key=4 value=4 entries=2
.map infotmp hash key=8 value=32 entries=10240
r6 = r1
call bpf_get_current_pid_tgid#14
*(u64 *)(r10 -8) = r0
r8 = 0
*(u64 *)(r10 -16) = r8
*(u64 *)(r10 -24) = r8
*(u64 *)(r10 -32) = r8
*(u64 *)(r10 -40) = r8
*(u64 *)(r10 -48) = r8
*(u64 *)(r10 -56) = r8
*(u64 *)(r10 -64) = r8
*(u64 *)(r10 -72) = r8
*(u64 *)(r10 -80) = r8
*(u64 *)(r10 -88) = r8
*(u64 *)(r10 -96) = r8
*(u64 *)(r10 -104) = r8
*(u64 *)(r10 -112) = r8
*(u64 *)(r10 -120) = r8
*(u64 *)(r10 -128) = r8
*(u64 *)(r10 -136) = r8
*(u64 *)(r10 -144) = r8
*(u64 *)(r10 -152) = r8
*(u64 *)(r10 -160) = r8
*(u64 *)(r10 -168) = r8
*(u64 *)(r10 -176) = r8
*(u64 *)(r10 -184) = r8
*(u64 *)(r10 -192) = r8
*(u64 *)(r10 -200) = r8
*(u64 *)(r10 -208) = r8
*(u64 *)(r10 -216) = r8
*(u64 *)(r10 -224) = r8
*(u64 *)(r10 -232) = r8
*(u64 *)(r10 -240) = r8
*(u64 *)(r10 -248) = r8
*(u64 *)(r10 -256) = r8
*(u64 *)(r10 -264) = r8
*(u64 *)(r10 -272) = r8
*(u64 *)(r10 -280) = r8
*(u64 *)(r10 -288) = r8
*(u64 *)(r10 -296) = r8
*(u64 *)(r10 -304) = r8
*(u64 *)(r10 -312) = r8
call bpf_ktime_get_ns#5
r7 = r0
r1 = map[infotmp]
r2 = r10
r2 += -8
call bpf_map_lookup_elem#1
r9 = r0
if r9 == 0x0 goto pc+80
r3 = r9
r3 += 8
r1 = r10
r1 += -288
r2 = 16
call bpf_probe_read_kernel#113
r3 = *(u64 *)(r9 +24)
*(u64 *)(r10 -320) = r6
r6 = r7
r7 = r10
r7 += -268
r1 = r7
r2 = 255
call bpf_probe_read_user_str#114
r1 = *(u64 *)(r9 +0)
*(u64 *)(r10 -312) = r1
r6 /= 1000
*(u64 *)(r10 -304) = r6
call bpf_get_current_uid_gid#15
*(u32 *)(r10 -296) = r0
r1 = *(u64 *)(r10 -320)
r2 = *(u64 *)(r1 +80)
*(u32 *)(r10 -292) = r2
*(u32 *)(r10 -272) = r8
r2 = map[events]
r4 = r10
r4 += -312
r9 = r1
r3 = 0xffffffff ll
r5 = 304
call bpf_perf_event_output#25
r1 = *(u8 *)(r10 -268)
if r1 == 0x2f goto pc+29
call bpf_get_current_task_btf#158
r8 = 30
r1 = *(u64 *)(r0 +3040)
r6 = *(u64 *)(r1 +48)
r3 = *(u64 *)(r6 +40)
r1 = r7
r2 = 255
call bpf_probe_read_kernel#113
r1 = 0
*(u32 *)(r10 -272) = r1
r2 = map[events]
r4 = r10
r4 += -312
r1 = r9
r3 = 0xffffffff ll
r5 = 304
call bpf_perf_event_output#25
r1 = *(u64 *)(r6 +24)
if r6 == r1 goto pc+8
r2 = r8
r2 += -1
r8 <<= 32
r3 = r8
r3 >>= 32
r8 = r2
r6 = r1
if r3 != 0x0 goto pc-25
r1 = 1
*(u32 *)(r10 -272) = r1
r2 = map[events]
r4 = r10
r4 += -312
r1 = r9
r3 = 0xffffffff ll
r5 = 304
call bpf_perf_event_output#25
r1 = map[infotmp]
r2 = r10
r2 += -8
call bpf_map_delete_elem#3
r0 = 0
exit


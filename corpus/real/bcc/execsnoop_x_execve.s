; execsnoop-bpfcc syscall__execve (kprobe); bcc load: ok
.type kprobe
.map events perf_event_array key=4 value=4 entries=2
r6 = r1
r7 = *(u64 *)(r6 +112)
r3 = r7
r3 += 112
r1 = r10
r1 += -16
r2 = 8
call bpf_probe_read#4
r3 = r7
r3 += 104
r1 = r10
r1 += -24
r2 = 8
call bpf_probe_read#4
r7 += 96
r1 = r10
r1 += -32
r2 = 8
r3 = r7
call bpf_probe_read#4
call bpf_get_current_uid_gid#15
r8 = 0
*(u32 *)(r10 -40) = r8
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
call bpf_get_current_pid_tgid#14
r0 >>= 32
*(u32 *)(r10 -200) = r0
call bpf_get_current_task#35
*(u32 *)(r10 -204) = r8
*(u64 *)(r10 -8) = r8
r0 += 2432
r1 = r10
r1 += -8
r2 = 8
r3 = r0
call bpf_probe_read#4
r3 = *(u64 *)(r10 -8)
r3 += 2420
r1 = r10
r1 += -204
r2 = 4
call bpf_probe_read#4
r1 = *(u32 *)(r10 -204)
*(u32 *)(r10 -196) = r1
r1 = r10
r1 += -188
r2 = 16
call bpf_get_current_comm#16
*(u32 *)(r10 -172) = r8
r3 = *(u64 *)(r10 -16)
r7 = r10
r7 += -168
r1 = r7
r2 = 128
call bpf_probe_read_user#112
r2 = map[events]
r4 = r10
r4 += -200
r1 = r6
r3 = 0xffffffff ll
r5 = 164
call bpf_perf_event_output#25
r3 = *(u64 *)(r10 -24)
*(u64 *)(r10 -8) = r8
r3 += 8
r1 = r10
r1 += -8
r2 = 8
call bpf_probe_read_user#112
r3 = *(u64 *)(r10 -8)
if r3 == 0x0 goto pc+630
r1 = r7
r2 = 128
call bpf_probe_read_user#112
r2 = map[events]
r4 = r10
r4 += -200
r1 = r6
r3 = 0xffffffff ll
r5 = 164
call bpf_perf_event_output#25
r3 = *(u64 *)(r10 -24)
*(u64 *)(r10 -8) = r8
r3 += 16
r1 = r10
r1 += -8
r2 = 8
call bpf_probe_read_user#112
r3 = *(u64 *)(r10 -8)
if r3 == 0x0 goto pc+609
r1 = r7
r2 = 128
call bpf_probe_read_user#112
r2 = map[events]
r4 = r10
r4 += -200
r1 = r6
r3 = 0xffffffff ll
r5 = 164
call bpf_perf_event_output#25
r3 = *(u64 *)(r10 -24)
r8 = 0
*(u64 *)(r10 -8) = r8
r3 += 24
r1 = r10
r1 += -8
r2 = 8
call bpf_probe_read_user#112
r3 = *(u64 *)(r10 -8)
if r3 == 0x0 goto pc+587
r1 = r7
r2 = 128
call bpf_probe_read_user#112
r2 = map[events]
r4 = r10
r4 += -200
r1 = r6
r3 = 0xffffffff ll
r5 = 164
call bpf_perf_event_output#25
r3 = *(u64 *)(r10 -24)
*(u64 *)(r10 -8) = r8
r3 += 32
r1 = r10
r1 += -8
r2 = 8
call bpf_probe_read_user#112
r3 = *(u64 *)(r10 -8)
if r3 == 0x0 goto pc+566
r1 = r7
r2 = 128
call bpf_probe_read_user#112
r2 = map[events]
r4 = r10
r4 += -200
r1 = r6
r3 = 0xffffffff ll
r5 = 164
call bpf_perf_event_output#25
r3 = *(u64 *)(r10 -24)
r8 = 0
*(u64 *)(r10 -8) = r8
r3 += 40
r1 = r10
r1 += -8
r2 = 8
call bpf_probe_read_user#112
r3 = *(u64 *)(r10 -8)
if r3 == 0x0 goto pc+544
r1 = r7
r2 = 128
call bpf_probe_read_user#112
r2 = map[events]
r4 = r10
r4 += -200
r1 = r6
r3 = 0xffffffff ll
r5 = 164
call bpf_perf_event_output#25
r3 = *(u64 *)(r10 -24)
*(u64 *)(r10 -8) = r8
r3 += 48
r1 = r10
r1 += -8
r2 = 8
call bpf_probe_read_user#112
r3 = *(u64 *)(r10 -8)
if r3 == 0x0 goto pc+523
r1 = r7
r2 = 128
call bpf_probe_read_user#112
r2 = map[events]
r4 = r10
r4 += -200
r1 = r6
r3 = 0xffffffff ll
r5 = 164
call bpf_perf_event_output#25
r3 = *(u64 *)(r10 -24)
r8 = 0
*(u64 *)(r10 -8) = r8
r3 += 56
r1 = r10
r1 += -8
r2 = 8
call bpf_probe_read_user#112
r3 = *(u64 *)(r10 -8)
if r3 == 0x0 goto pc+501
r1 = r7
r2 = 128
call bpf_probe_read_user#112
r2 = map[events]
r4 = r10
r4 += -200
r1 = r6
r3 = 0xffffffff ll
r5 = 164
call bpf_perf_event_output#25
r3 = *(u64 *)(r10 -24)
*(u64 *)(r10 -8) = r8
r3 += 64
r1 = r10
r1 += -8
r2 = 8
call bpf_probe_read_user#112
r3 = *(u64 *)(r10 -8)
if r3 == 0x0 goto pc+480
r1 = r7
r2 = 128
call bpf_probe_read_user#112
r2 = map[events]
r4 = r10
r4 += -200
r1 = r6
r3 = 0xffffffff ll
r5 = 164
call bpf_perf_event_output#25
r3 = *(u64 *)(r10 -24)
r8 = 0
*(u64 *)(r10 -8) = r8
r3 += 72
r1 = r10
r1 += -8
r2 = 8
call bpf_probe_read_user#112
r3 = *(u64 *)(r10 -8)
if r3 == 0x0 goto pc+458
r1 = r7
r2 = 128
call bpf_probe_read_user#112
r2 = map[events]
r4 = r10
r4 += -200
r1 = r6
r3 = 0xffffffff ll
r5 = 164
call bpf_perf_event_output#25
r3 = *(u64 *)(r10 -24)
*(u64 *)(r10 -8) = r8
r3 += 80
r1 = r10
r1 += -8
r2 = 8
call bpf_probe_read_user#112
r3 = *(u64 *)(r10 -8)
if r3 == 0x0 goto pc+437
r1 = r7
r2 = 128
call bpf_probe_read_user#112
r2 = map[events]
r4 = r10
r4 += -200
r1 = r6
r3 = 0xffffffff ll
r5 = 164
call bpf_perf_event_output#25
r3 = *(u64 *)(r10 -24)
r8 = 0
*(u64 *)(r10 -8) = r8
r3 += 88
r1 = r10
r1 += -8
r2 = 8
call bpf_probe_read_user#112
r3 = *(u64 *)(r10 -8)
if r3 == 0x0 goto pc+415
r1 = r7
r2 = 128
call bpf_probe_read_user#112
r2 = map[events]
r4 = r10
r4 += -200
r1 = r6
r3 = 0xffffffff ll
r5 = 164
call bpf_perf_event_output#25
r3 = *(u64 *)(r10 -24)
*(u64 *)(r10 -8) = r8
r3 += 96
r1 = r10
r1 += -8
r2 = 8
call bpf_probe_read_user#112
r3 = *(u64 *)(r10 -8)
if r3 == 0x0 goto pc+394
r1 = r7
r2 = 128
call bpf_probe_read_user#112
r2 = map[events]
r4 = r10
r4 += -200
r1 = r6
r3 = 0xffffffff ll
r5 = 164
call bpf_perf_event_output#25
r3 = *(u64 *)(r10 -24)
r8 = 0
*(u64 *)(r10 -8) = r8
r3 += 104
r1 = r10
r1 += -8
r2 = 8
call bpf_probe_read_user#112
r3 = *(u64 *)(r10 -8)
if r3 == 0x0 goto pc+372
r1 = r7
r2 = 128
call bpf_probe_read_user#112
r2 = map[events]
r4 = r10
r4 += -200
r1 = r6
r3 = 0xffffffff ll
r5 = 164
call bpf_perf_event_output#25
r3 = *(u64 *)(r10 -24)
*(u64 *)(r10 -8) = r8
r3 += 112
r1 = r10
r1 += -8
r2 = 8
call bpf_probe_read_user#112
r3 = *(u64 *)(r10 -8)
if r3 == 0x0 goto pc+351
r1 = r7
r2 = 128
call bpf_probe_read_user#112
r2 = map[events]
r4 = r10
r4 += -200
r1 = r6
r3 = 0xffffffff ll
r5 = 164
call bpf_perf_event_output#25
r3 = *(u64 *)(r10 -24)
r8 = 0
*(u64 *)(r10 -8) = r8
r3 += 120
r1 = r10
r1 += -8
r2 = 8
call bpf_probe_read_user#112
r3 = *(u64 *)(r10 -8)
if r3 == 0x0 goto pc+329
r1 = r7
r2 = 128
call bpf_probe_read_user#112
r2 = map[events]
r4 = r10
r4 += -200
r1 = r6
r3 = 0xffffffff ll
r5 = 164
call bpf_perf_event_output#25
r3 = *(u64 *)(r10 -24)
*(u64 *)(r10 -8) = r8
r3 += 128
r1 = r10
r1 += -8
r2 = 8
call bpf_probe_read_user#112
r3 = *(u64 *)(r10 -8)
if r3 == 0x0 goto pc+308
r1 = r7
r2 = 128
call bpf_probe_read_user#112
r2 = map[events]
r4 = r10
r4 += -200
r1 = r6
r3 = 0xffffffff ll
r5 = 164
call bpf_perf_event_output#25
r3 = *(u64 *)(r10 -24)
r8 = 0
*(u64 *)(r10 -8) = r8
r3 += 136
r1 = r10
r1 += -8
r2 = 8
call bpf_probe_read_user#112
r3 = *(u64 *)(r10 -8)
if r3 == 0x0 goto pc+286
r1 = r7
r2 = 128
call bpf_probe_read_user#112
r2 = map[events]
r4 = r10
r4 += -200
r1 = r6
r3 = 0xffffffff ll
r5 = 164
call bpf_perf_event_output#25
r3 = *(u64 *)(r10 -24)
*(u64 *)(r10 -8) = r8
r3 += 144
r1 = r10
r1 += -8
r2 = 8
call bpf_probe_read_user#112
r3 = *(u64 *)(r10 -8)
if r3 == 0x0 goto pc+265
r1 = r7
r2 = 128
call bpf_probe_read_user#112
r2 = map[events]
r4 = r10
r4 += -200
r1 = r6
r3 = 0xffffffff ll
r5 = 164
call bpf_perf_event_output#25
r3 = *(u64 *)(r10 -24)
r8 = 0
*(u64 *)(r10 -8) = r8
r3 += 152
r1 = r10
r1 += -8
r2 = 8
call bpf_probe_read_user#112
r3 = *(u64 *)(r10 -8)
if r3 == 0x0 goto pc+243
r1 = r7
r2 = 128
call bpf_probe_read_user#112
r2 = map[events]
r4 = r10
r4 += -200
r1 = r6
r3 = 0xffffffff ll
r5 = 164
call bpf_perf_event_output#25
r3 = *(u64 *)(r10 -24)
*(u64 *)(r10 -8) = r8
r3 += 160
r1 = r10
r1 += -8
r2 = 8
call bpf_probe_read_user#112
r3 = *(u64 *)(r10 -8)
if r3 == 0x0 goto pc+222
r1 = r7
r2 = 128
call bpf_probe_read_user#112
r2 = map[events]
r4 = r10
r4 += -200
r1 = r6
r3 = 0xffffffff ll
r5 = 164
call bpf_perf_event_output#25
r3 = *(u64 *)(r10 -24)
r8 = 0
*(u64 *)(r10 -8) = r8
r3 += 168
r1 = r10
r1 += -8
r2 = 8
call bpf_probe_read_user#112
r3 = *(u64 *)(r10 -8)
if r3 == 0x0 goto pc+200
r1 = r7
r2 = 128
call bpf_probe_read_user#112
r2 = map[events]
r4 = r10
r4 += -200
r1 = r6
r3 = 0xffffffff ll
r5 = 164
call bpf_perf_event_output#25
r3 = *(u64 *)(r10 -24)
*(u64 *)(r10 -8) = r8
r3 += 176
r1 = r10
r1 += -8
r2 = 8
call bpf_probe_read_user#112
r3 = *(u64 *)(r10 -8)
if r3 == 0x0 goto pc+179
r1 = r7
r2 = 128
call bpf_probe_read_user#112
r2 = map[events]
r4 = r10
r4 += -200
r1 = r6
r3 = 0xffffffff ll
r5 = 164
call bpf_perf_event_output#25
r3 = *(u64 *)(r10 -24)
r8 = 0
*(u64 *)(r10 -8) = r8
r3 += 184
r1 = r10
r1 += -8
r2 = 8
call bpf_probe_read_user#112
r3 = *(u64 *)(r10 -8)
if r3 == 0x0 goto pc+157
r1 = r7
r2 = 128
call bpf_probe_read_user#112
r2 = map[events]
r4 = r10
r4 += -200
r1 = r6
r3 = 0xffffffff ll
r5 = 164
call bpf_perf_event_output#25
r3 = *(u64 *)(r10 -24)
*(u64 *)(r10 -8) = r8
r3 += 192
r1 = r10
r1 += -8
r2 = 8
call bpf_probe_read_user#112
r3 = *(u64 *)(r10 -8)
if r3 == 0x0 goto pc+136
r1 = r7
r2 = 128
call bpf_probe_read_user#112
r2 = map[events]
r4 = r10
r4 += -200
r1 = r6
r3 = 0xffffffff ll
r5 = 164
call bpf_perf_event_output#25
r3 = *(u64 *)(r10 -24)
r8 = 0
*(u64 *)(r10 -8) = r8
r3 += 200
r1 = r10
r1 += -8
r2 = 8
call bpf_probe_read_user#112
r3 = *(u64 *)(r10 -8)
if r3 == 0x0 goto pc+114
r1 = r7
r2 = 128
call bpf_probe_read_user#112
r2 = map[events]
r4 = r10
r4 += -200
r1 = r6
r3 = 0xffffffff ll
r5 = 164
call bpf_perf_event_output#25
r3 = *(u64 *)(r10 -24)
*(u64 *)(r10 -8) = r8
r3 += 208
r1 = r10
r1 += -8
r2 = 8
call bpf_probe_read_user#112
r3 = *(u64 *)(r10 -8)
if r3 == 0x0 goto pc+93
r1 = r7
r2 = 128
call bpf_probe_read_user#112
r2 = map[events]
r4 = r10
r4 += -200
r1 = r6
r3 = 0xffffffff ll
r5 = 164
call bpf_perf_event_output#25
r3 = *(u64 *)(r10 -24)
r8 = 0
*(u64 *)(r10 -8) = r8
r3 += 216
r1 = r10
r1 += -8
r2 = 8
call bpf_probe_read_user#112
r3 = *(u64 *)(r10 -8)
if r3 == 0x0 goto pc+71
r1 = r7
r2 = 128
call bpf_probe_read_user#112
r2 = map[events]
r4 = r10
r4 += -200
r1 = r6
r3 = 0xffffffff ll
r5 = 164
call bpf_perf_event_output#25
r3 = *(u64 *)(r10 -24)
*(u64 *)(r10 -8) = r8
r3 += 224
r1 = r10
r1 += -8
r2 = 8
call bpf_probe_read_user#112
r3 = *(u64 *)(r10 -8)
if r3 == 0x0 goto pc+50
r1 = r7
r2 = 128
call bpf_probe_read_user#112
r2 = map[events]
r4 = r10
r4 += -200
r1 = r6
r3 = 0xffffffff ll
r5 = 164
call bpf_perf_event_output#25
r3 = *(u64 *)(r10 -24)
r1 = 0
*(u64 *)(r10 -8) = r1
r3 += 232
r1 = r10
r1 += -8
r2 = 8
call bpf_probe_read_user#112
r3 = *(u64 *)(r10 -8)
if r3 == 0x0 goto pc+28
r1 = r7
r2 = 128
call bpf_probe_read_user#112
r2 = map[events]
r8 = r10
r8 += -200
r1 = r6
r3 = 0xffffffff ll
r4 = r8
r5 = 164
call bpf_perf_event_output#25
r1 = 3026478
*(u32 *)(r10 -208) = r1
r3 = r10
r3 += -208
r1 = r7
r2 = 128
call bpf_probe_read_user#112
r2 = map[events]
r1 = r6
r3 = 0xffffffff ll
r4 = r8
r5 = 164
call bpf_perf_event_output#25
r0 = 0
exit


; tcptracer-bpfcc trace_tcp_set_state_entry (kprobe); bcc load: ok
.type kprobe
.map connectsock hash key=8 value=8 entries=10240
.map tcp_ipv4_event perf_event_array key=4 value=4 entries=2
.map tcp_ipv6_event perf_event_array key=4 value=4 entries=2
.map tuplepid_ipv4 hash key=16 value=24 entries=10240
.map tuplepid_ipv6 hash key=48 value=24 entries=10240
r9 = r1
r7 = *(u64 *)(r9 +112)
r1 = *(u64 *)(r9 +104)
*(u64 *)(r10 -168) = r1
r1 <<= 32
r1 >>= 32
if r1 == 0x7 goto pc+1
if r1 != 0x1 goto pc+337
r6 = 0
*(u16 *)(r10 -160) = r6
r8 = r7
r8 += 16
r1 = r10
r1 += -160
r2 = 2
r3 = r8
call bpf_probe_read#4
*(u16 *)(r10 -160) = r6
r1 = r10
r1 += -160
r2 = 2
r3 = r8
call bpf_probe_read#4
r1 = *(u16 *)(r10 -160)
if r1 != 0x2 goto pc+70
*(u64 *)(r10 -192) = r9
*(u32 *)(r10 -160) = r6
r3 = r7
r3 += 4
r1 = r10
r1 += -160
r2 = 4
call bpf_probe_read#4
r1 = *(u32 *)(r10 -160)
*(u64 *)(r10 -176) = r1
*(u32 *)(r10 -160) = r6
r1 = r10
r1 += -160
r2 = 4
r3 = r7
call bpf_probe_read#4
r1 = *(u32 *)(r10 -160)
*(u64 *)(r10 -184) = r1
*(u16 *)(r10 -160) = r6
r3 = r7
r3 += 804
r1 = r10
r1 += -160
r2 = 2
call bpf_probe_read#4
r9 = *(u16 *)(r10 -160)
*(u16 *)(r10 -160) = r6
r3 = r7
r3 += 12
r1 = r10
r1 += -160
r2 = 2
call bpf_probe_read#4
r8 = *(u16 *)(r10 -160)
*(u32 *)(r10 -16) = r6
*(u64 *)(r10 -160) = r6
r7 += 48
r1 = r10
r1 += -160
r2 = 8
r3 = r7
call bpf_probe_read#4
r3 = *(u64 *)(r10 -160)
r3 += 144
r1 = r10
r1 += -16
r2 = 4
call bpf_probe_read#4
r2 = *(u64 *)(r10 -184)
r1 = *(u32 *)(r10 -16)
*(u32 *)(r10 -68) = r1
*(u32 *)(r10 -76) = r2
*(u16 *)(r10 -72) = r9
*(u16 *)(r10 -70) = r8
r1 = *(u64 *)(r10 -176)
*(u32 *)(r10 -80) = r1
if r1 == 0x0 goto pc+263
r1 = r2
if r1 == 0x0 goto pc+261
r1 = r9
if r1 == 0x0 goto pc+259
r1 = r8
if r1 == 0x0 goto pc+257
r1 = map[tuplepid_ipv4]
r2 = *(u64 *)(r10 -168)
r2 <<= 32
r2 >>= 32
if r2 != 0x7 goto pc+86
goto pc+247
*(u16 *)(r10 -160) = r6
r1 = r10
r1 += -160
r2 = 2
r3 = r8
call bpf_probe_read#4
r1 = *(u16 *)(r10 -160)
if r1 != 0xa goto pc+242
*(u64 *)(r10 -192) = r9
r9 = 0
*(u64 *)(r10 -40) = r9
*(u64 *)(r10 -48) = r9
*(u64 *)(r10 -152) = r9
*(u64 *)(r10 -160) = r9
*(u64 *)(r10 -8) = r9
*(u64 *)(r10 -16) = r9
*(u16 *)(r10 -32) = r9
r3 = r7
r3 += 804
r1 = r10
r1 += -32
r2 = 2
call bpf_probe_read#4
r8 = *(u16 *)(r10 -32)
*(u16 *)(r10 -32) = r9
r3 = r7
r3 += 12
r1 = r10
r1 += -32
r2 = 2
call bpf_probe_read#4
r6 = *(u16 *)(r10 -32)
*(u32 *)(r10 -20) = r9
*(u64 *)(r10 -32) = r9
r3 = r7
r3 += 48
r1 = r10
r1 += -32
r2 = 8
call bpf_probe_read#4
r3 = *(u64 *)(r10 -32)
r3 += 144
r1 = r10
r1 += -20
r2 = 4
call bpf_probe_read#4
r9 = *(u32 *)(r10 -20)
r3 = r7
r3 += 72
r1 = r10
r1 += -160
r2 = 16
call bpf_probe_read_kernel#113
r7 += 56
r1 = r10
r1 += -16
r2 = 16
r3 = r7
call bpf_probe_read_kernel#113
*(u32 *)(r10 -44) = r9
r1 = *(u64 *)(r10 -152)
*(u64 *)(r10 -72) = r1
r3 = *(u64 *)(r10 -160)
*(u64 *)(r10 -80) = r3
r3 |= r1
*(u16 *)(r10 -48) = r8
*(u16 *)(r10 -46) = r6
r1 = *(u64 *)(r10 -8)
*(u64 *)(r10 -56) = r1
r2 = *(u64 *)(r10 -16)
*(u64 *)(r10 -64) = r2
if r3 == 0x0 goto pc+178
r2 |= r1
if r2 == 0x0 goto pc+176
r1 = r8
if r1 == 0x0 goto pc+174
r1 = r6
if r1 == 0x0 goto pc+172
r1 = map[tuplepid_ipv6]
r2 = *(u64 *)(r10 -168)
r2 <<= 32
r2 >>= 32
if r2 != 0x7 goto pc+79
goto pc+162
r2 = r10
r2 += -80
call bpf_map_lookup_elem#1
r7 = r0
if r7 == 0x0 goto pc+160
r1 = 0
*(u64 *)(r10 -112) = r1
*(u64 *)(r10 -120) = r1
*(u64 *)(r10 -128) = r1
*(u64 *)(r10 -136) = r1
*(u64 *)(r10 -144) = r1
*(u64 *)(r10 -152) = r1
*(u64 *)(r10 -160) = r1
call bpf_ktime_get_ns#5
r1 = 1
*(u32 *)(r10 -152) = r1
*(u64 *)(r10 -160) = r0
r1 = *(u64 *)(r7 +0)
r2 = *(u32 *)(r10 -68)
*(u32 *)(r10 -112) = r2
r2 = *(u16 *)(r10 -70)
r2 = be16 r2
*(u16 *)(r10 -114) = r2
r2 = *(u16 *)(r10 -72)
r2 = be16 r2
*(u16 *)(r10 -116) = r2
r2 = *(u32 *)(r10 -76)
*(u32 *)(r10 -120) = r2
r2 = *(u32 *)(r10 -80)
*(u32 *)(r10 -124) = r2
r2 = 4
*(u8 *)(r10 -128) = r2
r1 >>= 32
*(u32 *)(r10 -148) = r1
r1 = *(u8 *)(r7 +8)
*(u8 *)(r10 -144) = r1
r1 = *(u8 *)(r7 +9)
*(u8 *)(r10 -143) = r1
r1 = *(u8 *)(r7 +10)
*(u8 *)(r10 -142) = r1
r1 = *(u8 *)(r7 +11)
*(u8 *)(r10 -141) = r1
r1 = *(u8 *)(r7 +12)
*(u8 *)(r10 -140) = r1
r1 = *(u8 *)(r7 +13)
*(u8 *)(r10 -139) = r1
r1 = *(u8 *)(r7 +14)
*(u8 *)(r10 -138) = r1
r1 = *(u8 *)(r7 +15)
*(u8 *)(r10 -137) = r1
r1 = *(u8 *)(r7 +16)
*(u8 *)(r10 -136) = r1
r1 = *(u8 *)(r7 +17)
*(u8 *)(r10 -135) = r1
r1 = *(u8 *)(r7 +18)
*(u8 *)(r10 -134) = r1
r1 = *(u8 *)(r7 +19)
*(u8 *)(r10 -133) = r1
r1 = *(u8 *)(r7 +20)
*(u8 *)(r10 -132) = r1
r1 = *(u8 *)(r7 +21)
*(u8 *)(r10 -131) = r1
r1 = *(u8 *)(r7 +22)
*(u8 *)(r10 -130) = r1
r1 = *(u8 *)(r7 +23)
*(u8 *)(r10 -129) = r1
r2 = map[tcp_ipv4_event]
r4 = r10
r4 += -160
r1 = *(u64 *)(r10 -192)
r3 = 0xffffffff ll
r5 = 56
call bpf_perf_event_output#25
r1 = map[tuplepid_ipv4]
goto pc+84
r2 = r10
r2 += -80
call bpf_map_lookup_elem#1
r7 = r0
if r7 == 0x0 goto pc+82
r1 = 0
*(u64 *)(r10 -88) = r1
*(u64 *)(r10 -96) = r1
*(u64 *)(r10 -104) = r1
*(u64 *)(r10 -112) = r1
*(u64 *)(r10 -120) = r1
*(u64 *)(r10 -128) = r1
*(u64 *)(r10 -136) = r1
*(u64 *)(r10 -144) = r1
*(u64 *)(r10 -152) = r1
*(u64 *)(r10 -160) = r1
call bpf_ktime_get_ns#5
r1 = 1
*(u32 *)(r10 -152) = r1
*(u64 *)(r10 -160) = r0
r1 = *(u64 *)(r7 +0)
r2 = *(u32 *)(r10 -44)
*(u32 *)(r10 -92) = r2
r2 = *(u16 *)(r10 -46)
r2 = be16 r2
*(u16 *)(r10 -94) = r2
r2 = *(u16 *)(r10 -48)
r2 = be16 r2
*(u16 *)(r10 -96) = r2
r2 = *(u64 *)(r10 -56)
*(u64 *)(r10 -104) = r2
r2 = *(u64 *)(r10 -64)
*(u64 *)(r10 -112) = r2
r2 = *(u64 *)(r10 -72)
*(u64 *)(r10 -120) = r2
r2 = *(u64 *)(r10 -80)
*(u64 *)(r10 -128) = r2
r2 = 6
*(u8 *)(r10 -88) = r2
r1 >>= 32
*(u32 *)(r10 -148) = r1
r1 = *(u8 *)(r7 +8)
*(u8 *)(r10 -144) = r1
r1 = *(u8 *)(r7 +9)
*(u8 *)(r10 -143) = r1
r1 = *(u8 *)(r7 +10)
*(u8 *)(r10 -142) = r1
r1 = *(u8 *)(r7 +11)
*(u8 *)(r10 -141) = r1
r1 = *(u8 *)(r7 +12)
*(u8 *)(r10 -140) = r1
r1 = *(u8 *)(r7 +13)
*(u8 *)(r10 -139) = r1
r1 = *(u8 *)(r7 +14)
*(u8 *)(r10 -138) = r1
r1 = *(u8 *)(r7 +15)
*(u8 *)(r10 -137) = r1
r1 = *(u8 *)(r7 +16)
*(u8 *)(r10 -136) = r1
r1 = *(u8 *)(r7 +17)
*(u8 *)(r10 -135) = r1
r1 = *(u8 *)(r7 +18)
*(u8 *)(r10 -134) = r1
r1 = *(u8 *)(r7 +19)
*(u8 *)(r10 -133) = r1
r1 = *(u8 *)(r7 +20)
*(u8 *)(r10 -132) = r1
r1 = *(u8 *)(r7 +21)
*(u8 *)(r10 -131) = r1
r1 = *(u8 *)(r7 +22)
*(u8 *)(r10 -130) = r1
r1 = *(u8 *)(r7 +23)
*(u8 *)(r10 -129) = r1
r2 = map[tcp_ipv6_event]
r4 = r10
r4 += -160
r1 = *(u64 *)(r10 -192)
r3 = 0xffffffff ll
r5 = 80
call bpf_perf_event_output#25
r1 = map[tuplepid_ipv6]
r2 = r10
r2 += -80
call bpf_map_delete_elem#3
r0 = 0
exit


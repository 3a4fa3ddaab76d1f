; bt_tcplife tcp_set_state_2 (bpftrace); bcc load: ok
.type kprobe
.map AT_birth_4 hash key=8 value=8 entries=4096
.map AT_skpid_6 hash key=8 value=8 entries=4096
.map AT_skcomm_5 hash key=8 value=16 entries=4096
.map printf_7 perf_event_array key=4 value=4 entries=2
r7 = r1
r1 = 0
*(u32 *)(r10 -112) = r1
*(u64 *)(r10 -120) = r1
*(u32 *)(r10 -128) = r1
*(u64 *)(r10 -136) = r1
*(u8 *)(r10 -138) = r1
*(u16 *)(r10 -140) = r1
*(u32 *)(r10 -144) = r1
*(u64 *)(r10 -152) = r1
r6 = *(u64 *)(r7 +112)
r9 = *(u64 *)(r7 +104)
r1 = 4
if r1 > r9 goto pc+1
goto pc+22
*(u64 *)(r10 -104) = r6
r1 = map[AT_birth_4]
r2 = r10
r2 += -104
call bpf_map_lookup_elem#1
if r0 != 0x0 goto pc+1
goto pc+3
r1 = *(u64 *)(r0 +0)
if r1 == 0x0 goto pc+1
goto pc+11
call bpf_ktime_get_boot_ns#125
*(u64 *)(r10 -8) = r6
*(u64 *)(r10 -104) = r0
r1 = map[AT_birth_4]
r2 = r10
r2 += -8
r3 = r10
r3 += -104
r4 = 0
call bpf_map_update_elem#2
if r9 == 0x2 goto pc+3
if r9 == 0x7 goto pc+32
if r9 == 0x9 goto pc+1
goto pc+382
call bpf_get_current_pid_tgid#14
*(u64 *)(r10 -8) = r6
r0 >>= 32
*(u64 *)(r10 -104) = r0
r1 = map[AT_skpid_6]
r2 = r10
r2 += -8
r3 = r10
r3 += -104
r8 = 0
r4 = 0
call bpf_map_update_elem#2
*(u64 *)(r10 -96) = r8
*(u64 *)(r10 -104) = r8
r8 = r10
r8 += -104
r1 = r8
r2 = 16
call bpf_get_current_comm#16
*(u64 *)(r10 -8) = r6
r1 = map[AT_skcomm_5]
r2 = r10
r2 += -8
r3 = r8
r4 = 0
call bpf_map_update_elem#2
if r9 == 0x7 goto pc+1
goto pc+352
*(u64 *)(r10 -104) = r6
r1 = map[AT_birth_4]
r2 = r10
r2 += -104
call bpf_map_lookup_elem#1
if r0 != 0x0 goto pc+1
goto pc+344
r1 = *(u64 *)(r0 +0)
if r1 == 0x0 goto pc+342
call bpf_ktime_get_boot_ns#125
r9 = r0
*(u64 *)(r10 -104) = r6
r1 = map[AT_birth_4]
r2 = r10
r2 += -104
call bpf_map_lookup_elem#1
r1 = 0
*(u64 *)(r10 -168) = r1
r8 = 0
if r0 == 0x0 goto pc+1
r8 = *(u64 *)(r0 +0)
r3 = r6
r3 += 14
r1 = r10
r1 += -104
r2 = 2
call bpf_probe_read_kernel#113
r1 = *(u16 *)(r10 -104)
*(u64 *)(r10 -192) = r1
r3 = r6
r3 += 12
r1 = r10
r1 += -104
r2 = 2
call bpf_probe_read_kernel#113
r1 = *(u16 *)(r10 -104)
*(u64 *)(r10 -160) = r1
*(u64 *)(r10 -104) = r6
r1 = map[AT_skpid_6]
r2 = r10
r2 += -104
call bpf_map_lookup_elem#1
if r0 == 0x0 goto pc+2
r1 = *(u64 *)(r0 +0)
*(u64 *)(r10 -168) = r1
r9 -= r8
*(u64 *)(r10 -104) = r6
r1 = map[AT_skcomm_5]
r2 = r10
r2 += -104
call bpf_map_lookup_elem#1
if r0 != 0x0 goto pc+1
goto pc+43
r8 = *(u8 *)(r0 +0)
r1 = *(u8 *)(r0 +10)
r1 <<= 8
r2 = *(u8 *)(r0 +9)
r1 |= r2
r2 = *(u8 *)(r0 +12)
r2 <<= 8
r3 = *(u8 *)(r0 +11)
r2 |= r3
r2 <<= 16
r2 |= r1
r3 = *(u8 *)(r0 +2)
r3 <<= 8
r1 = *(u8 *)(r0 +1)
r3 |= r1
r1 = *(u8 *)(r0 +4)
r1 <<= 8
r4 = *(u8 *)(r0 +3)
r1 |= r4
r4 = *(u8 *)(r0 +14)
r4 <<= 8
r5 = *(u8 *)(r0 +13)
r4 |= r5
r5 = *(u8 *)(r0 +15)
*(u8 *)(r10 -138) = r5
*(u16 *)(r10 -140) = r4
*(u32 *)(r10 -144) = r2
r1 <<= 16
r1 |= r3
r2 = *(u8 *)(r0 +6)
r2 <<= 8
r3 = *(u8 *)(r0 +5)
r2 |= r3
r3 = *(u8 *)(r0 +7)
r4 = *(u8 *)(r0 +8)
r4 <<= 8
r4 |= r3
r4 <<= 16
r4 |= r2
r4 <<= 32
r4 |= r1
*(u64 *)(r10 -152) = r4
if r8 != 0x0 goto pc+53
call bpf_get_current_pid_tgid#14
r8 = r0
r1 = 0
*(u64 *)(r10 -96) = r1
*(u64 *)(r10 -104) = r1
r1 = r10
r1 += -104
r2 = 16
call bpf_get_current_comm#16
r1 = *(u8 *)(r10 -94)
r1 <<= 8
r2 = *(u8 *)(r10 -95)
r1 |= r2
r2 = *(u8 *)(r10 -92)
r2 <<= 8
r3 = *(u8 *)(r10 -93)
r2 |= r3
r2 <<= 16
r2 |= r1
r3 = *(u8 *)(r10 -102)
r3 <<= 8
r1 = *(u8 *)(r10 -103)
r3 |= r1
r1 = *(u8 *)(r10 -100)
r1 <<= 8
r4 = *(u8 *)(r10 -101)
r1 |= r4
r4 = *(u8 *)(r10 -90)
r4 <<= 8
r5 = *(u8 *)(r10 -91)
r4 |= r5
r5 = *(u8 *)(r10 -89)
*(u8 *)(r10 -138) = r5
*(u16 *)(r10 -140) = r4
*(u32 *)(r10 -144) = r2
r1 <<= 16
r1 |= r3
r2 = *(u8 *)(r10 -98)
r2 <<= 8
r3 = *(u8 *)(r10 -99)
r2 |= r3
r3 = *(u8 *)(r10 -96)
r3 <<= 8
r4 = *(u8 *)(r10 -97)
r3 |= r4
r3 <<= 16
r3 |= r2
r3 <<= 32
r3 |= r1
*(u64 *)(r10 -152) = r3
r8 >>= 32
*(u64 *)(r10 -168) = r8
r8 = *(u8 *)(r10 -104)
*(u64 *)(r10 -184) = r8
r9 /= 1000000
r1 = *(u64 *)(r10 -160)
r1 = be16 r1
*(u64 *)(r10 -160) = r1
r3 = r6
r3 += 16
r1 = r10
r1 += -104
r8 = 2
r2 = 2
call bpf_probe_read_kernel#113
r1 = *(u16 *)(r10 -104)
*(u64 *)(r10 -176) = r9
if r1 != 0x2 goto pc+21
r9 = 0
*(u32 *)(r10 -128) = r9
*(u64 *)(r10 -136) = r9
r3 = r6
r3 += 4
r1 = r10
r1 += -104
r2 = 4
call bpf_probe_read_kernel#113
*(u64 *)(r10 -120) = r9
*(u32 *)(r10 -112) = r9
r9 = *(u32 *)(r10 -104)
r1 = r10
r1 += -104
r2 = 4
r3 = r6
call bpf_probe_read_kernel#113
r5 = r9
r1 = *(u32 *)(r10 -104)
r9 = 2
goto pc+41
r1 = 0
*(u64 *)(r10 -96) = r1
r2 = 10
*(u64 *)(r10 -104) = r2
*(u64 *)(r10 -88) = r1
r3 = r6
r3 += 72
r1 = r10
r1 += -96
r2 = 16
call bpf_probe_read_kernel#113
r1 = *(u32 *)(r10 -84)
*(u32 *)(r10 -128) = r1
r1 = *(u32 *)(r10 -88)
r1 <<= 32
r2 = *(u32 *)(r10 -92)
r1 |= r2
*(u64 *)(r10 -136) = r1
r9 = *(u64 *)(r10 -104)
r8 = *(u32 *)(r10 -96)
r1 = 10
*(u64 *)(r10 -104) = r1
r1 = 0
*(u64 *)(r10 -96) = r1
*(u64 *)(r10 -88) = r1
r3 = r6
r3 += 56
r1 = r10
r1 += -96
r2 = 16
call bpf_probe_read_kernel#113
r5 = r8
r1 = *(u32 *)(r10 -88)
r1 <<= 32
r2 = *(u32 *)(r10 -92)
r1 |= r2
r2 = *(u32 *)(r10 -84)
*(u32 *)(r10 -112) = r2
*(u64 *)(r10 -120) = r1
r1 = *(u32 *)(r10 -96)
r8 = *(u64 *)(r10 -104)
r3 = *(u64 *)(r10 -160)
r4 = *(u64 *)(r10 -192)
r2 = *(u64 *)(r10 -184)
*(u8 *)(r10 -88) = r2
r2 = *(u64 *)(r10 -168)
*(u64 *)(r10 -96) = r2
r2 = 2
*(u64 *)(r10 -104) = r2
r2 = *(u8 *)(r10 -138)
*(u8 *)(r10 -73) = r2
*(u32 *)(r10 -64) = r5
*(u64 *)(r10 -72) = r9
r2 = *(u32 *)(r10 -128)
*(u32 *)(r10 -52) = r2
*(u32 *)(r10 -32) = r1
*(u64 *)(r10 -40) = r8
*(u64 *)(r10 -48) = r4
r1 = *(u64 *)(r10 -152)
r2 = r1
r2 >>= 56
*(u8 *)(r10 -80) = r2
r2 = r1
r2 >>= 48
*(u8 *)(r10 -81) = r2
r2 = r1
r2 >>= 40
*(u8 *)(r10 -82) = r2
r2 = r1
r2 >>= 32
*(u8 *)(r10 -83) = r2
r2 = r1
r2 >>= 24
*(u8 *)(r10 -84) = r2
r2 = r1
r2 >>= 16
*(u8 *)(r10 -85) = r2
*(u8 *)(r10 -87) = r1
r1 >>= 8
*(u8 *)(r10 -86) = r1
r1 = *(u32 *)(r10 -144)
r2 = r1
r2 >>= 24
*(u8 *)(r10 -76) = r2
r2 = r1
r2 >>= 16
*(u8 *)(r10 -77) = r2
*(u8 *)(r10 -79) = r1
r1 >>= 8
*(u8 *)(r10 -78) = r1
r1 = *(u16 *)(r10 -140)
*(u8 *)(r10 -75) = r1
r1 >>= 8
*(u8 *)(r10 -74) = r1
r1 = *(u64 *)(r10 -136)
*(u32 *)(r10 -60) = r1
r1 >>= 32
*(u32 *)(r10 -56) = r1
*(u64 *)(r10 -16) = r3
r1 = *(u32 *)(r10 -112)
*(u32 *)(r10 -20) = r1
r1 = *(u64 *)(r10 -120)
*(u32 *)(r10 -28) = r1
r1 >>= 32
*(u32 *)(r10 -24) = r1
r2 = map[printf_7]
r4 = r10
r4 += -104
r1 = r7
r3 = 0xffffffff ll
r5 = 96
call bpf_perf_event_output#25
r1 = 3
*(u64 *)(r10 -104) = r1
r3 = r6
r3 += 1824
r1 = r10
r1 += -8
r2 = 8
call bpf_probe_read_kernel#113
r1 = *(u64 *)(r10 -8)
r1 >>= 10
*(u64 *)(r10 -96) = r1
r3 = r6
r3 += 1752
r1 = r10
r1 += -8
r2 = 8
call bpf_probe_read_kernel#113
r1 = *(u64 *)(r10 -176)
*(u64 *)(r10 -80) = r1
r1 = *(u64 *)(r10 -8)
r1 >>= 10
*(u64 *)(r10 -88) = r1
r2 = map[printf_7]
r4 = r10
r4 += -104
r1 = r7
r3 = 0xffffffff ll
r5 = 32
call bpf_perf_event_output#25
*(u64 *)(r10 -104) = r6
r1 = map[AT_birth_4]
r2 = r10
r2 += -104
call bpf_map_delete_elem#3
*(u64 *)(r10 -104) = r6
r1 = map[AT_skpid_6]
r2 = r10
r2 += -104
call bpf_map_delete_elem#3
*(u64 *)(r10 -104) = r6
r1 = map[AT_skcomm_5]
r2 = r10
r2 += -104
call bpf_map_delete_elem#3
r0 = 0
exit


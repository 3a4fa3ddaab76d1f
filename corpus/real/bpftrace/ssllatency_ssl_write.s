; bt_ssllatency SSL_write_7 (bpftrace); bcc load: ok
.type kprobe
.map AT_start_ssl_9 hash key=8 value=8 entries=4096
.map AT_func_ssl_5 hash key=8 value=16 entries=4096
.map AT_hist_6 percpu_hash key=24 value=8 entries=4096
.map AT_stat_11 percpu_hash key=24 value=8 entries=4096
.map AT_histF_7 percpu_hash key=24 value=8 entries=4096
.map AT_statF_12 percpu_hash key=24 value=8 entries=4096
r6 = r1
call bpf_get_current_pid_tgid#14
r0 <<= 32
r0 >>= 32
*(u64 *)(r10 -48) = r0
r1 = map[AT_start_ssl_9]
r2 = r10
r2 += -48
call bpf_map_lookup_elem#1
if r0 != 0x0 goto pc+2
r0 = 0
exit
r1 = *(u64 *)(r0 +0)
if r1 == 0x0 goto pc-4
call bpf_ktime_get_boot_ns#125
r7 = r0
call bpf_get_current_pid_tgid#14
r0 <<= 32
r0 >>= 32
*(u64 *)(r10 -48) = r0
r1 = map[AT_start_ssl_9]
r2 = r10
r2 += -48
call bpf_map_lookup_elem#1
r1 = 0
if r0 == 0x0 goto pc+1
r1 = *(u64 *)(r0 +0)
r7 -= r1
r8 = 6
r1 = *(u64 *)(r6 +80)
r1 <<= 56
r6 = r7
r6 /= 1000
if r7 > 0xf4627 goto pc+4
r8 = r6
r8 &= 65535
r8 /= 200
r8 += 1
r2 = 1
if r2 s> r1 goto pc+57
call bpf_get_current_pid_tgid#14
r0 <<= 32
r0 >>= 32
*(u64 *)(r10 -24) = r0
r1 = map[AT_func_ssl_5]
r2 = r10
r2 += -24
call bpf_map_lookup_elem#1
if r0 == 0x0 goto pc+104
r2 = *(u8 *)(r0 +9)
r2 <<= 8
r1 = *(u8 *)(r0 +8)
r2 |= r1
r1 = *(u8 *)(r0 +11)
r1 <<= 8
r3 = *(u8 *)(r0 +10)
r1 |= r3
r1 <<= 16
r1 |= r2
r3 = *(u8 *)(r0 +13)
r3 <<= 8
r2 = *(u8 *)(r0 +12)
r3 |= r2
r2 = *(u8 *)(r0 +15)
r2 <<= 8
r4 = *(u8 *)(r0 +14)
r2 |= r4
r2 <<= 16
r2 |= r3
r2 <<= 32
r2 |= r1
r3 = *(u8 *)(r0 +1)
r3 <<= 8
r1 = *(u8 *)(r0 +0)
r3 |= r1
r1 = *(u8 *)(r0 +3)
r1 <<= 8
r4 = *(u8 *)(r0 +2)
r1 |= r4
*(u64 *)(r10 -8) = r2
r1 <<= 16
r1 |= r3
r2 = *(u8 *)(r0 +5)
r2 <<= 8
r3 = *(u8 *)(r0 +4)
r2 |= r3
r3 = *(u8 *)(r0 +6)
r4 = *(u8 *)(r0 +7)
r4 <<= 8
r4 |= r3
r4 <<= 16
r4 |= r2
r4 <<= 32
r4 |= r1
*(u64 *)(r10 -16) = r4
goto pc+60
call bpf_get_current_pid_tgid#14
r0 <<= 32
r0 >>= 32
*(u64 *)(r10 -24) = r0
r1 = map[AT_func_ssl_5]
r2 = r10
r2 += -24
call bpf_map_lookup_elem#1
if r0 == 0x0 goto pc+236
r2 = *(u8 *)(r0 +9)
r2 <<= 8
r1 = *(u8 *)(r0 +8)
r2 |= r1
r1 = *(u8 *)(r0 +11)
r1 <<= 8
r3 = *(u8 *)(r0 +10)
r1 |= r3
r1 <<= 16
r1 |= r2
r3 = *(u8 *)(r0 +13)
r3 <<= 8
r2 = *(u8 *)(r0 +12)
r3 |= r2
r2 = *(u8 *)(r0 +15)
r2 <<= 8
r4 = *(u8 *)(r0 +14)
r2 |= r4
r2 <<= 16
r2 |= r3
r2 <<= 32
r2 |= r1
r3 = *(u8 *)(r0 +1)
r3 <<= 8
r1 = *(u8 *)(r0 +0)
r3 |= r1
r1 = *(u8 *)(r0 +3)
r1 <<= 8
r4 = *(u8 *)(r0 +2)
r1 |= r4
*(u64 *)(r10 -8) = r2
r1 <<= 16
r1 |= r3
r2 = *(u8 *)(r0 +5)
r2 <<= 8
r3 = *(u8 *)(r0 +4)
r2 |= r3
r3 = *(u8 *)(r0 +6)
r4 = *(u8 *)(r0 +7)
r4 <<= 8
r4 |= r3
r4 <<= 16
r4 |= r2
r4 <<= 32
r4 |= r1
*(u64 *)(r10 -16) = r4
goto pc+192
r1 = 0
*(u64 *)(r10 -8) = r1
*(u64 *)(r10 -16) = r1
r1 = *(u64 *)(r10 -16)
*(u64 *)(r10 -48) = r1
r1 = *(u64 *)(r10 -8)
*(u64 *)(r10 -40) = r1
*(u64 *)(r10 -32) = r8
r1 = map[AT_hist_6]
r2 = r10
r2 += -48
call bpf_map_lookup_elem#1
r1 = 1
if r0 == 0x0 goto pc+2
r1 = *(u64 *)(r0 +0)
r1 += 1
*(u64 *)(r10 -16) = r1
r1 = map[AT_hist_6]
r2 = r10
r2 += -48
r3 = r10
r3 += -16
r7 = 0
r4 = 0
call bpf_map_update_elem#2
call bpf_get_current_pid_tgid#14
r0 <<= 32
r0 >>= 32
*(u64 *)(r10 -24) = r0
r1 = map[AT_func_ssl_5]
r2 = r10
r2 += -24
call bpf_map_lookup_elem#1
if r0 == 0x0 goto pc+47
r2 = *(u8 *)(r0 +9)
r2 <<= 8
r1 = *(u8 *)(r0 +8)
r2 |= r1
r1 = *(u8 *)(r0 +11)
r1 <<= 8
r3 = *(u8 *)(r0 +10)
r1 |= r3
r1 <<= 16
r1 |= r2
r3 = *(u8 *)(r0 +13)
r3 <<= 8
r2 = *(u8 *)(r0 +12)
r3 |= r2
r2 = *(u8 *)(r0 +15)
r2 <<= 8
r4 = *(u8 *)(r0 +14)
r2 |= r4
r2 <<= 16
r2 |= r3
r2 <<= 32
r2 |= r1
r3 = *(u8 *)(r0 +1)
r3 <<= 8
r1 = *(u8 *)(r0 +0)
r3 |= r1
r1 = *(u8 *)(r0 +3)
r1 <<= 8
r4 = *(u8 *)(r0 +2)
r1 |= r4
*(u64 *)(r10 -8) = r2
r1 <<= 16
r1 |= r3
r2 = *(u8 *)(r0 +5)
r2 <<= 8
r3 = *(u8 *)(r0 +4)
r2 |= r3
r3 = *(u8 *)(r0 +6)
r4 = *(u8 *)(r0 +7)
r4 <<= 8
r4 |= r3
r4 <<= 16
r4 |= r2
r4 <<= 32
r4 |= r1
*(u64 *)(r10 -16) = r4
goto pc+2
*(u64 *)(r10 -8) = r7
*(u64 *)(r10 -16) = r7
r1 = *(u64 *)(r10 -16)
*(u64 *)(r10 -48) = r1
r1 = *(u64 *)(r10 -8)
*(u64 *)(r10 -40) = r1
r1 = 0
*(u64 *)(r10 -32) = r1
r1 = map[AT_stat_11]
r2 = r10
r2 += -48
call bpf_map_lookup_elem#1
r1 = 1
if r0 == 0x0 goto pc+2
r1 = *(u64 *)(r0 +0)
r1 += 1
*(u64 *)(r10 -16) = r1
r1 = map[AT_stat_11]
r2 = r10
r2 += -48
r3 = r10
r3 += -16
r7 = 0
r4 = 0
call bpf_map_update_elem#2
call bpf_get_current_pid_tgid#14
r0 <<= 32
r0 >>= 32
*(u64 *)(r10 -24) = r0
r1 = map[AT_func_ssl_5]
r2 = r10
r2 += -24
call bpf_map_lookup_elem#1
if r0 == 0x0 goto pc+47
r2 = *(u8 *)(r0 +9)
r2 <<= 8
r1 = *(u8 *)(r0 +8)
r2 |= r1
r1 = *(u8 *)(r0 +11)
r1 <<= 8
r3 = *(u8 *)(r0 +10)
r1 |= r3
r1 <<= 16
r1 |= r2
r3 = *(u8 *)(r0 +13)
r3 <<= 8
r2 = *(u8 *)(r0 +12)
r3 |= r2
r2 = *(u8 *)(r0 +15)
r2 <<= 8
r4 = *(u8 *)(r0 +14)
r2 |= r4
r2 <<= 16
r2 |= r3
r2 <<= 32
r2 |= r1
r3 = *(u8 *)(r0 +1)
r3 <<= 8
r1 = *(u8 *)(r0 +0)
r3 |= r1
r1 = *(u8 *)(r0 +3)
r1 <<= 8
r4 = *(u8 *)(r0 +2)
r1 |= r4
*(u64 *)(r10 -8) = r2
r1 <<= 16
r1 |= r3
r2 = *(u8 *)(r0 +5)
r2 <<= 8
r3 = *(u8 *)(r0 +4)
r2 |= r3
r3 = *(u8 *)(r0 +6)
r4 = *(u8 *)(r0 +7)
r4 <<= 8
r4 |= r3
r4 <<= 16
r4 |= r2
r4 <<= 32
r4 |= r1
*(u64 *)(r10 -16) = r4
goto pc+2
*(u64 *)(r10 -8) = r7
*(u64 *)(r10 -16) = r7
r1 = *(u64 *)(r10 -16)
*(u64 *)(r10 -48) = r1
r1 = *(u64 *)(r10 -8)
*(u64 *)(r10 -40) = r1
r1 = 1
*(u64 *)(r10 -32) = r1
r1 = map[AT_stat_11]
r2 = r10
r2 += -48
call bpf_map_lookup_elem#1
r1 = 0
if r0 == 0x0 goto pc+1
r1 = *(u64 *)(r0 +0)
r1 += r6
*(u64 *)(r10 -16) = r1
r1 = map[AT_stat_11]
goto pc+188
r1 = 0
*(u64 *)(r10 -8) = r1
*(u64 *)(r10 -16) = r1
r1 = *(u64 *)(r10 -16)
*(u64 *)(r10 -48) = r1
r1 = *(u64 *)(r10 -8)
*(u64 *)(r10 -40) = r1
*(u64 *)(r10 -32) = r8
r1 = map[AT_histF_7]
r2 = r10
r2 += -48
call bpf_map_lookup_elem#1
r1 = 1
if r0 == 0x0 goto pc+2
r1 = *(u64 *)(r0 +0)
r1 += 1
*(u64 *)(r10 -16) = r1
r1 = map[AT_histF_7]
r2 = r10
r2 += -48
r3 = r10
r3 += -16
r7 = 0
r4 = 0
call bpf_map_update_elem#2
call bpf_get_current_pid_tgid#14
r0 <<= 32
r0 >>= 32
*(u64 *)(r10 -24) = r0
r1 = map[AT_func_ssl_5]
r2 = r10
r2 += -24
call bpf_map_lookup_elem#1
if r0 == 0x0 goto pc+47
r2 = *(u8 *)(r0 +9)
r2 <<= 8
r1 = *(u8 *)(r0 +8)
r2 |= r1
r1 = *(u8 *)(r0 +11)
r1 <<= 8
r3 = *(u8 *)(r0 +10)
r1 |= r3
r1 <<= 16
r1 |= r2
r3 = *(u8 *)(r0 +13)
r3 <<= 8
r2 = *(u8 *)(r0 +12)
r3 |= r2
r2 = *(u8 *)(r0 +15)
r2 <<= 8
r4 = *(u8 *)(r0 +14)
r2 |= r4
r2 <<= 16
r2 |= r3
r2 <<= 32
r2 |= r1
r3 = *(u8 *)(r0 +1)
r3 <<= 8
r1 = *(u8 *)(r0 +0)
r3 |= r1
r1 = *(u8 *)(r0 +3)
r1 <<= 8
r4 = *(u8 *)(r0 +2)
r1 |= r4
*(u64 *)(r10 -8) = r2
r1 <<= 16
r1 |= r3
r2 = *(u8 *)(r0 +5)
r2 <<= 8
r3 = *(u8 *)(r0 +4)
r2 |= r3
r3 = *(u8 *)(r0 +6)
r4 = *(u8 *)(r0 +7)
r4 <<= 8
r4 |= r3
r4 <<= 16
r4 |= r2
r4 <<= 32
r4 |= r1
*(u64 *)(r10 -16) = r4
goto pc+2
*(u64 *)(r10 -8) = r7
*(u64 *)(r10 -16) = r7
r1 = *(u64 *)(r10 -16)
*(u64 *)(r10 -48) = r1
r1 = *(u64 *)(r10 -8)
*(u64 *)(r10 -40) = r1
r1 = 0
*(u64 *)(r10 -32) = r1
r1 = map[AT_statF_12]
r2 = r10
r2 += -48
call bpf_map_lookup_elem#1
r1 = 1
if r0 == 0x0 goto pc+2
r1 = *(u64 *)(r0 +0)
r1 += 1
*(u64 *)(r10 -16) = r1
r1 = map[AT_statF_12]
r2 = r10
r2 += -48
r3 = r10
r3 += -16
r7 = 0
r4 = 0
call bpf_map_update_elem#2
call bpf_get_current_pid_tgid#14
r0 <<= 32
r0 >>= 32
*(u64 *)(r10 -24) = r0
r1 = map[AT_func_ssl_5]
r2 = r10
r2 += -24
call bpf_map_lookup_elem#1
if r0 == 0x0 goto pc+47
r2 = *(u8 *)(r0 +9)
r2 <<= 8
r1 = *(u8 *)(r0 +8)
r2 |= r1
r1 = *(u8 *)(r0 +11)
r1 <<= 8
r3 = *(u8 *)(r0 +10)
r1 |= r3
r1 <<= 16
r1 |= r2
r3 = *(u8 *)(r0 +13)
r3 <<= 8
r2 = *(u8 *)(r0 +12)
r3 |= r2
r2 = *(u8 *)(r0 +15)
r2 <<= 8
r4 = *(u8 *)(r0 +14)
r2 |= r4
r2 <<= 16
r2 |= r3
r2 <<= 32
r2 |= r1
r3 = *(u8 *)(r0 +1)
r3 <<= 8
r1 = *(u8 *)(r0 +0)
r3 |= r1
r1 = *(u8 *)(r0 +3)
r1 <<= 8
r4 = *(u8 *)(r0 +2)
r1 |= r4
*(u64 *)(r10 -8) = r2
r1 <<= 16
r1 |= r3
r2 = *(u8 *)(r0 +5)
r2 <<= 8
r3 = *(u8 *)(r0 +4)
r2 |= r3
r3 = *(u8 *)(r0 +6)
r4 = *(u8 *)(r0 +7)
r4 <<= 8
r4 |= r3
r4 <<= 16
r4 |= r2
r4 <<= 32
r4 |= r1
*(u64 *)(r10 -16) = r4
goto pc+2
*(u64 *)(r10 -8) = r7
*(u64 *)(r10 -16) = r7
r1 = *(u64 *)(r10 -16)
*(u64 *)(r10 -48) = r1
r1 = *(u64 *)(r10 -8)
*(u64 *)(r10 -40) = r1
r1 = 1
*(u64 *)(r10 -32) = r1
r1 = map[AT_statF_12]
r2 = r10
r2 += -48
call bpf_map_lookup_elem#1
r1 = 0
if r0 == 0x0 goto pc+1
r1 = *(u64 *)(r0 +0)
r1 += r6
*(u64 *)(r10 -16) = r1
r1 = map[AT_statF_12]
r2 = r10
r2 += -48
r3 = r10
r3 += -16
r4 = 0
call bpf_map_update_elem#2
call bpf_get_current_pid_tgid#14
r0 <<= 32
r0 >>= 32
*(u64 *)(r10 -48) = r0
r1 = map[AT_start_ssl_9]
r2 = r10
r2 += -48
call bpf_map_delete_elem#3
call bpf_get_current_pid_tgid#14
r0 <<= 32
r0 >>= 32
*(u64 *)(r10 -48) = r0
r1 = map[AT_func_ssl_5]
r2 = r10
r2 += -48
call bpf_map_delete_elem#3
goto pc-547


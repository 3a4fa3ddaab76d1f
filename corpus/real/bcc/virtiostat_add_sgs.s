; virtiostat-bpfcc trace_virtqueue_add_sgs (kprobe); bcc load: ok
.type kprobe
.map stats hash key=8 value=64 entries=10240
r2 = *(u64 *)(r1 +104)
*(u64 *)(r10 -152) = r2
r3 = *(u64 *)(r1 +88)
r2 = *(u64 *)(r1 +96)
r1 = *(u64 *)(r1 +112)
r8 = 0
*(u64 *)(r10 -40) = r8
*(u64 *)(r10 -48) = r8
*(u64 *)(r10 -56) = r8
*(u64 *)(r10 -64) = r8
*(u64 *)(r10 -72) = r8
*(u64 *)(r10 -80) = r8
*(u64 *)(r10 -88) = r8
*(u64 *)(r10 -96) = r8
*(u64 *)(r10 -168) = r1
*(u64 *)(r10 -104) = r1
r2 <<= 32
r2 >>= 32
*(u64 *)(r10 -136) = r2
*(u64 *)(r10 -144) = r3
r1 = r3
r1 <<= 32
r1 >>= 32
if r1 == 0x0 goto pc+27
r1 = *(u64 *)(r10 -136)
r1 <<= 3
r2 = *(u64 *)(r10 -152)
r2 += r1
*(u64 *)(r10 -160) = r2
r8 = 0
r3 = 0
goto pc+124
if r7 == 0x0 goto pc+8
r1 = r6
r1 += 1
r6 <<= 32
r2 = r6
r2 >>= 32
r6 = r1
r1 = 127
if r1 > r2 goto pc+83
r3 = *(u64 *)(r10 -128)
r3 += 1
r1 = r3
r1 <<= 32
r1 >>= 32
if r1 > 0x5 goto pc+4
r2 = *(u64 *)(r10 -144)
r2 <<= 32
r2 >>= 32
if r2 > r1 goto pc+105
r1 = map[stats]
r2 = r10
r2 += -104
call bpf_map_lookup_elem#1
if r0 != 0x0 goto pc+185
r7 = 0
*(u64 *)(r10 -32) = r7
*(u64 *)(r10 -112) = r7
*(u64 *)(r10 -120) = r7
r6 = *(u64 *)(r10 -168)
r9 = r6
r9 += 32
r1 = r10
r1 += -120
r2 = 8
r3 = r9
call bpf_probe_read#4
r3 = *(u64 *)(r10 -120)
r3 += 120
r1 = r10
r1 += -112
r2 = 8
call bpf_probe_read#4
r3 = *(u64 *)(r10 -112)
r1 = r10
r1 += -32
r2 = 8
call bpf_probe_read#4
r3 = *(u64 *)(r10 -32)
r1 = r10
r1 += -96
r2 = 16
call bpf_probe_read_kernel_str#115
*(u64 *)(r10 -32) = r7
*(u64 *)(r10 -112) = r7
r1 = r10
r1 += -112
r2 = 8
r3 = r9
call bpf_probe_read#4
r3 = *(u64 *)(r10 -112)
r3 += 16
r1 = r10
r1 += -32
r2 = 8
call bpf_probe_read#4
r3 = *(u64 *)(r10 -32)
r1 = r10
r1 += -80
r2 = 12
call bpf_probe_read_kernel_str#115
*(u64 *)(r10 -32) = r7
r6 += 24
r1 = r10
r1 += -32
r2 = 8
r3 = r6
call bpf_probe_read#4
r3 = *(u64 *)(r10 -32)
r1 = r10
r1 += -68
r2 = 12
call bpf_probe_read_kernel_str#115
r1 = *(u64 *)(r10 -144)
*(u32 *)(r10 -56) = r1
r1 = *(u64 *)(r10 -136)
*(u32 *)(r10 -52) = r1
if r1 == 0x0 goto pc+212
*(u64 *)(r10 -144) = r8
r9 = 0
r3 = 0
goto pc+101
r1 = 0
*(u32 *)(r10 -32) = r1
r3 = r7
r3 += 12
r1 = r10
r1 += -32
r2 = 4
call bpf_probe_read#4
r9 = *(u32 *)(r10 -32)
r1 = r10
r1 += -32
r2 = 32
r3 = r7
call bpf_probe_read_kernel#113
r8 += r9
r1 = *(u64 *)(r10 -32)
r1 &= 2
if r1 == 0x0 goto pc+1
goto pc-102
r7 += 32
r1 = r10
r1 += -32
r2 = 32
r3 = r7
call bpf_probe_read_kernel#113
r1 = *(u64 *)(r10 -32)
r2 = r1
r2 &= 1
if r2 == 0x0 goto pc-121
r1 &= -4
r7 = r1
goto pc-124
r1 = 0
*(u64 *)(r10 -32) = r1
*(u64 *)(r10 -128) = r3
r1 = r3
r1 <<= 32
r1 >>= 32
r1 <<= 3
r3 = *(u64 *)(r10 -160)
r3 += r1
r1 = r10
r1 += -32
r2 = 8
call bpf_probe_read#4
r7 = *(u64 *)(r10 -32)
if r7 == 0x0 goto pc-130
r6 = 0
goto pc-49
if r6 == 0x0 goto pc+8
r1 = r7
r1 += 1
r7 <<= 32
r2 = r7
r2 >>= 32
r7 = r1
r1 = 127
if r1 > r2 goto pc+11
r3 = *(u64 *)(r10 -128)
r3 += 1
r1 = r3
r1 <<= 32
r1 >>= 32
if r1 > 0x5 goto pc+2
r2 = *(u64 *)(r10 -136)
if r2 > r1 goto pc+35
*(u64 *)(r10 -40) = r9
r8 = *(u64 *)(r10 -144)
goto pc+139
r1 = 0
*(u32 *)(r10 -32) = r1
r3 = r6
r3 += 12
r1 = r10
r1 += -32
r2 = 4
call bpf_probe_read#4
r8 = *(u32 *)(r10 -32)
r1 = r10
r1 += -32
r2 = 32
r3 = r6
call bpf_probe_read_kernel#113
r9 += r8
r1 = *(u64 *)(r10 -32)
r1 &= 2
if r1 == 0x0 goto pc+1
goto pc-30
r6 += 32
r1 = r10
r1 += -32
r2 = 32
r3 = r6
call bpf_probe_read_kernel#113
r1 = *(u64 *)(r10 -32)
r2 = r1
r2 &= 1
if r2 == 0x0 goto pc-49
r1 &= -4
r6 = r1
goto pc-52
r1 = 0
*(u64 *)(r10 -32) = r1
*(u64 *)(r10 -128) = r3
r1 = r3
r1 <<= 32
r1 >>= 32
r1 <<= 3
r3 = *(u64 *)(r10 -152)
r3 += r1
r1 = r10
r1 += -32
r2 = 8
call bpf_probe_read#4
r6 = *(u64 *)(r10 -32)
if r6 == 0x0 goto pc-58
r7 = 0
goto pc-49
r1 = *(u32 *)(r0 +44)
r2 = *(u64 *)(r10 -136)
r1 += r2
*(u32 *)(r0 +44) = r1
r1 = *(u32 *)(r0 +40)
r3 = *(u64 *)(r10 -144)
r1 += r3
*(u32 *)(r0 +40) = r1
if r2 == 0x0 goto pc+77
*(u64 *)(r10 -160) = r0
*(u64 *)(r10 -144) = r8
r7 = 0
r3 = 0
goto pc+55
if r6 == 0x0 goto pc+8
r1 = r9
r1 += 1
r9 <<= 32
r2 = r9
r2 >>= 32
r9 = r1
r1 = 127
if r1 > r2 goto pc+14
r3 = *(u64 *)(r10 -128)
r3 += 1
r1 = r3
r1 <<= 32
r1 >>= 32
if r1 > 0x5 goto pc+2
r2 = *(u64 *)(r10 -136)
if r2 > r1 goto pc+38
r0 = *(u64 *)(r10 -160)
r1 = *(u64 *)(r0 +56)
r1 += r7
*(u64 *)(r0 +56) = r1
r8 = *(u64 *)(r10 -144)
goto pc+49
r1 = 0
*(u32 *)(r10 -32) = r1
r3 = r6
r3 += 12
r1 = r10
r1 += -32
r2 = 4
call bpf_probe_read#4
r8 = *(u32 *)(r10 -32)
r1 = r10
r1 += -32
r2 = 32
r3 = r6
call bpf_probe_read_kernel#113
r7 += r8
r1 = *(u64 *)(r10 -32)
r1 &= 2
if r1 == 0x0 goto pc+1
goto pc-33
r6 += 32
r1 = r10
r1 += -32
r2 = 32
r3 = r6
call bpf_probe_read_kernel#113
r1 = *(u64 *)(r10 -32)
r2 = r1
r2 &= 1
if r2 == 0x0 goto pc-52
r1 &= -4
r6 = r1
goto pc-55
r1 = 0
*(u64 *)(r10 -32) = r1
*(u64 *)(r10 -128) = r3
r1 = r3
r1 <<= 32
r1 >>= 32
r1 <<= 3
r3 = *(u64 *)(r10 -152)
r3 += r1
r1 = r10
r1 += -32
r2 = 8
call bpf_probe_read#4
r6 = *(u64 *)(r10 -32)
if r6 == 0x0 goto pc-61
r9 = 0
goto pc-49
r1 = *(u64 *)(r0 +48)
r1 += r8
*(u64 *)(r0 +48) = r1
goto pc+9
*(u64 *)(r10 -48) = r8
r1 = map[stats]
r2 = r10
r2 += -104
r3 = r10
r3 += -96
r4 = 0
call bpf_map_update_elem#2
r0 = 0
exit


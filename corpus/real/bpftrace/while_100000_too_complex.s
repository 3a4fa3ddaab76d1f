; o2_bigwhile sys_enter_getpi_2 (bpftrace); bcc load: fail errno 7 
.type tracepoint
.map AT_s_4 percpu_hash key=8 value=8 entries=4096
r6 = 0
r7 = 0
goto pc+12
r1 += r7
*(u64 *)(r10 -8) = r1
r1 = map[AT_s_4]
r2 = r10
r2 += -16
r3 = r10
r3 += -8
r4 = 0
call bpf_map_update_elem#2
r7 += 1
if r7 == 0x186a0 goto pc+10
*(u64 *)(r10 -16) = r6
r1 = map[AT_s_4]
r2 = r10
r2 += -16
call bpf_map_lookup_elem#1
r1 = 0
if r0 == 0x0 goto pc-20
r1 = *(u64 *)(r0 +0)
goto pc-22
r0 = 1
exit


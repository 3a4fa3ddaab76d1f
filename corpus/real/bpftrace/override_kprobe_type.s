; o2_override __x64_sys_getpi_2 (bpftrace); bcc load: fail errno 22 1: (85) call bpf_override_return#58program of this type cannot use helper bpf_override_return#58processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
.type kprobe
r2 = 1
call bpf_override_return#58
r0 = 0
exit


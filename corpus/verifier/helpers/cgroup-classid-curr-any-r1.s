; bpf_get_cgroup_classid outside tc/lwt is bpf_base_func_proto's bpf_get_cgroup_classid_curr: no argument,
; so r1 may hold anything (kernel-oracle finding 97e7e7, seed 20261207).
.type kprobe
.map map0 array key=4 value=8 entries=12
.map map1 array key=4 value=48 entries=2
0: (18) r8 = 0x0 ll
2: (18) r1 = map[map1]
4: (85) call bpf_get_cgroup_classid#17
5: (95) exit

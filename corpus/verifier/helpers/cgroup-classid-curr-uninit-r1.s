; bpf_get_cgroup_classid in a socket filter takes no argument: an uninitialised r1 is fine
; (kernel-oracle finding fd433d, seed 20261207).
.type socket_filter
.map map0 lru_hash key=8 value=48 entries=4
0: (85) call bpf_get_prandom_u32#7
1: (85) call bpf_get_cgroup_classid#17
2: (85) call pc+8
3: (85) call pc+1
4: (95) exit
5: (18) r1 = map[map0]
7: (bf) r2 = r10
8: (07) r2 += -64
9: (85) call bpf_map_delete_elem#3
10: (95) exit
11: (95) exit

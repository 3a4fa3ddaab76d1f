; tc's bpf_get_cgroup_classid reads the skb's classid: r1 must be the context.
.type sched_cls
.map map0 array key=4 value=8 entries=12
.map map1 array key=4 value=48 entries=2
0: (18) r8 = 0x0 ll
2: (18) r1 = map[map1]
4: (85) call bpf_get_cgroup_classid#17
5: (95) exit

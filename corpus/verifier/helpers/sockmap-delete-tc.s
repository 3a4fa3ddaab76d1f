; The counterpart of sockmap-delete-kprobe: tc programs may delete from a sockmap.
.type sched_cls
.map socks sockmap key=4 value=4 entries=1
    *(u32 *)(r10 -4) = 0
    r2 = r10
    r2 += -4
    r1 = map[socks]
    call bpf_map_delete_elem
    r0 = 0
    exit

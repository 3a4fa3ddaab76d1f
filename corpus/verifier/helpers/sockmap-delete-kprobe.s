; may_update_sockmap: a kprobe may hold a locked socket, so it cannot delete from a sockmap.
.type kprobe
.map socks sockmap key=4 value=4 entries=1
    *(u32 *)(r10 -4) = 0
    r2 = r10
    r2 += -4
    r1 = map[socks]
    call bpf_map_delete_elem
    r0 = 0
    exit

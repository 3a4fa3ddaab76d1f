; without BTF func_info the kernel refuses tail calls outside the main program
.type socket_filter
.map jmp prog_array key=4 value=4 entries=4
    call f
    r0 = 0
    exit
f:
    r2 = map[jmp]
    r3 = 0
    call bpf_tail_call
    r0 = 0
    exit

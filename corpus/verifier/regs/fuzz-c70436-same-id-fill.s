; Kernel-oracle finding c70436 (seed 20261207 trial run), as found: r7 and r9 (a u32 fill of the
; 8-byte spill at fp-56) share an id; "if r9 > r7" leaves both with src r7's [0, 254], so r1 = r7
; may be 0 at insn 15 and the atomic through the scalar r3 (w0 of the subprogram's return) is reached.
.type xdp
.map map0 array key=4 value=48 entries=6
.map map1 array key=4 value=8 entries=2
0: (85) call bpf_get_prandom_u32#7
1: (bf) r9 = r0
2: (57) r9 &= 255
3: (7b) *(u64 *)(r10 -56) = r9
4: (79) r7 = *(u64 *)(r10 -56)
5: (1c) w9 -= w9
6: (bf) r2 = r9
7: (85) call pc+10
8: (61) r9 = *(u32 *)(r10 -56)
9: (2d) if r9 > r7 goto pc+1
10: (05) goto pc+6
11: (18) r1 = map[map1]
13: (bc) w3 = w0
14: (bf) r1 = r7
15: (25) if r1 > 0x0 goto pc+1
16: (c3) r7 = atomic_fetch_and((u32 *)(r3 +4), r7)
17: (95) exit
18: (bf) r7 = r2
19: (bf) r0 = r7
20: (95) exit

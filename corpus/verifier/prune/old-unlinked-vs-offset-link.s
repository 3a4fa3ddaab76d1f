; an old precise scalar without an id covers a current offset-linked one by range (the running 6.18.44's regsafe): pruned at insn 21 inside the loop as the kernel does, bpflab no longer reaches the fall-through of insn 39 with a wide r1 (campaign seeds 20261207/20261208, finding 970836)
.type socket_filter
.map map0 array key=4 value=8 entries=1
0: (bf) r6 = r1
1: (b4) w8 = 0
2: (b7) r2 = 0
3: (bf) r3 = r10
4: (07) r3 += -160
5: (b7) r4 = 1
6: (85) call bpf_skb_load_bytes#26
7: (71) r9 = *(u8 *)(r10 -160)
8: (87) r9 = -r9
9: (61) r7 = *(u32 *)(r10 -24)
10: (1d) if r7 == r7 goto pc+4
11: (1d) if r7 == r7 goto pc+2
12: (9f) r9 %= r7
13: (05) goto pc+0
14: (05) goto pc+10
15: (07) r7 += -1
16: (07) r0 += 1
17: (1d) if r9 == r7 goto pc+0
18: (bf) r0 = r9
19: (57) r0 &= 7
20: (7b) *(u64 *)(r10 -8) = r0
21: (07) r9 += -536870908
22: (07) r0 += -1
23: (7b) *(u64 *)(r10 -8) = r0
24: (65) if r0 s> 0x0 goto pc-4
25: (7a) *(u64 *)(r10 -8) = 0
26: (79) r0 = *(u64 *)(r10 -8)
27: (07) r0 += 1
28: (a5) if r0 < 0x1 goto pc-3
29: (7d) if r9 s>= r9 goto pc+12
30: (1d) if r7 == r7 goto pc+10
31: (18) r1 = map[map0]
33: (bf) r2 = r10
34: (07) r2 += -64
35: (85) call bpf_map_lookup_elem#1
36: (15) if r0 == 0x0 goto pc+4
37: (bf) r3 = r0
38: (bf) r1 = r9
39: (25) if r1 > 0x7 goto pc+1
40: (0f) r3 += r1
41: (05) goto pc+0
42: (63) *(u32 *)(r6 +64) = r8
43: (bf) r0 = r8
44: (95) exit

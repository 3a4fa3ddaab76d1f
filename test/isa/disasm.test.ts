/** The disassembler prints exactly what the kernel's print_bpf_insn prints (kernel/bpf/disasm.c). */
import { describe, expect, test } from 'vitest';
import { disasmInsn, disasmLine, disasmProgram } from '../../src/isa/disasm.js';
import { assemble } from '../../src/isa/asm/index.js';
import type { Insn } from '../../src/isa/insn.js';
import type { Program } from '../../src/isa/program.js';

const i = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn => ({ code, dst, src, off, imm });

describe('disasmInsn', () => {
  test.each<[string, Insn[], string]>([
    ['ldx', [i(0x61, 0, 1, 0)], 'r0 = *(u32 *)(r1 +0)'],
    ['ldx neg off', [i(0x79, 3, 10, -8)], 'r3 = *(u64 *)(r10 -8)'],
    ['ldsx', [i(0x89, 0, 1, 2)], 'r0 = *(s16 *)(r1 +2)'],
    ['st imm', [i(0x62, 10, 0, -4, -1)], '*(u32 *)(r10 -4) = -1'],
    ['stx', [i(0x7b, 10, 1, -8)], '*(u64 *)(r10 -8) = r1'],
    ['jgt imm', [i(0x25, 1, 0, 3, 5)], 'if r1 > 0x5 goto pc+3'],
    ['jmp neg imm is printed as u32', [i(0x15, 1, 0, -2, -1)], 'if r1 == 0xffffffff goto pc-2'],
    ['jmp32 reg', [i(0xce, 2, 3, 1)], 'if w2 s< w3 goto pc+1'],
    ['jset', [i(0x45, 1, 0, 0, 8)], 'if r1 & 0x8 goto pc+0'],
    ['alu32 reg', [i(0x0c, 0, 1)], 'w0 += w1'],
    ['alu64 imm decimal', [i(0x07, 2, 0, 0, -8)], 'r2 += -8'],
    ['mov imm', [i(0xb7, 1, 0, 0, -1)], 'r1 = -1'],
    ['arsh', [i(0xc7, 1, 0, 0, 3)], 'r1 s>>= 3'],
    ['sdiv', [i(0x3f, 1, 2, 1)], 'r1 s/= r2'],
    ['smod32 imm', [i(0x94, 1, 0, 1, 3)], 'w1 s%= 3'],
    ['movsx', [i(0xbf, 0, 1, 8)], 'r0 = (s8)r1'],
    ['movsx32', [i(0xbc, 0, 1, 16)], 'w0 = (s16)w1'],
    ['neg', [i(0x87, 3)], 'r3 = -r3'],
    ['neg32', [i(0x84, 3)], 'w3 = -w3'],
    ['be16', [i(0xdc, 0, 0, 0, 16)], 'r0 = be16 r0'],
    ['le32', [i(0xd4, 0, 0, 0, 32)], 'r0 = le32 r0'],
    ['bswap32', [i(0xd7, 0, 0, 0, 32)], 'r0 = bswap32 r0'],
    ['lock add', [i(0xdb, 10, 1, -8, 0x00)], 'lock *(u64 *)(r10 -8) += r1'],
    ['lock or32', [i(0xc3, 10, 1, -4, 0x40)], 'lock *(u32 *)(r10 -4) |= r1'],
    ['fetch add', [i(0xdb, 10, 1, -8, 0x01)], 'r1 = atomic64_fetch_add((u64 *)(r10 -8), r1)'],
    ['fetch xor32', [i(0xc3, 10, 2, -8, 0xa1)], 'r2 = atomic_fetch_xor((u32 *)(r10 -8), r2)'],
    ['xchg', [i(0xdb, 10, 1, -8, 0xe1)], 'r1 = atomic64_xchg((u64 *)(r10 -8), r1)'],
    ['cmpxchg', [i(0xdb, 10, 1, -8, 0xf1)], 'r0 = atomic64_cmpxchg((u64 *)(r10 -8), r0, r1)'],
    ['load_acquire', [i(0xd3, 0, 1, 0, 0x100)], 'r0 = load_acquire((u8 *)(r1 +0))'],
    ['store_release', [i(0xdb, 1, 2, 0, 0x110)], 'store_release((u64 *)(r1 +0), r2)'],
    ['helper call', [i(0x85, 0, 0, 0, 1)], 'call bpf_map_lookup_elem#1'],
    ['last helper', [i(0x85, 0, 0, 0, 211)], 'call bpf_cgrp_storage_delete#211'],
    ['unknown helper', [i(0x85, 0, 0, 0, 999)], 'call unknown#999'],
    ['local call', [i(0x85, 0, 1, 0, 5)], 'call pc+5'],
    ['kfunc', [i(0x85, 0, 2, 0, 1234)], 'call kernel-function#1234'],
    ['goto', [i(0x05, 0, 0, -3)], 'goto pc-3'],
    ['gotol', [i(0x06, 0, 0, 0, 5)], 'gotol pc+5'],
    ['may_goto', [i(0xe5, 0, 0, 7)], 'may_goto pc+7'],
    ['ld_abs', [i(0x30, 0, 0, 0, 12)], 'r0 = *(u8 *)skb[12]'],
    ['ld_ind', [i(0x48, 0, 3, 0, 2)], 'r0 = *(u16 *)skb[r3 + 2]'],
    ['ld_imm64', [i(0x18, 1, 0, 0, 0x1234), i(0)], 'r1 = 0x1234 ll'],
    ['ld_imm64 high', [i(0x18, 0, 0, 0, 0x55667788), i(0, 0, 0, 0, 0x11223344)], 'r0 = 0x1122334455667788 ll'],
    ['exit', [i(0x95)], 'exit'],
    ['bad ld', [i(0x00)], 'BUG_ld_00'],
    ['addr_space_cast', [i(0xbf, 1, 2, 1, (1 << 16) | 0)], 'r1 = addr_space_cast(r2, 1, 0)'],
  ])('%s', (_name, insns, text) => {
    expect(disasmInsn(insns, 0)).toBe(text);
  });

  test('kernel style ld_imm64 and map references', () => {
    const insns = [i(0x18, 1, 0, 0, 0x1234), i(0), i(0x18, 1, 1, 0, 3), i(0), i(0x18, 2, 2, 0, 3), i(0, 0, 0, 0, 8)];
    expect(disasmInsn(insns, 0, { style: 'kernel' })).toBe('r1 = 0x1234');
    expect(disasmInsn(insns, 2, { style: 'kernel' })).toBe('r1 = map[id:3]');
    expect(disasmInsn(insns, 4, { style: 'kernel' })).toBe('r2 = map[id:3][0]+8');
    const maps = [0, 1, 2, 3].map((n) => ({ name: `m${n}`, type: 'array' as const, keySize: 4, valueSize: 16, maxEntries: 1, flags: 0 }));
    expect(disasmInsn(insns, 2, { maps })).toBe('r1 = map[m3]');
    expect(disasmInsn(insns, 4, { maps })).toBe('r2 = map_value[m3] + 8');
  });

  test('verifier log lines carry pc and opcode; the second ld_imm64 slot prints nothing', () => {
    const p: Program = { name: 'p', section: '', type: 'xdp', license: 'GPL', maps: [], insns: assemble('r1 = 5 ll\nr0 = 0\nexit').insns };
    expect(disasmLine(p.insns, 2)).toBe('2: (b7) r0 = 0');
    expect(disasmProgram(p)).toBe('.type xdp\n0: (18) r1 = 0x5 ll\n2: (b7) r0 = 0\n3: (95) exit\n');
    expect(disasmProgram(p, { style: 'kernel' })).toBe('0: (18) r1 = 0x5\n2: (b7) r0 = 0\n3: (95) exit\n');
  });
});

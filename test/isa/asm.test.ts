/** The assembler: SPEC section 3 syntax, conformance syntax, verifier log lines, and errors with line and column. */
import { describe, expect, test } from 'vitest';
import { assemble, AsmError } from '../../src/isa/asm/index.js';
import { encodeInsns } from '../../src/isa/decode.js';

const hex = (text: string) => Buffer.from(encodeInsns(assemble(text).insns)).toString('hex');

describe('assemble', () => {
  test('the SPEC section 3 example', () => {
    const r = assemble(`
; comment            # comment
.type xdp                                   ; program type of this file
.map counters array key=4 value=8 entries=16
.map flows hash key=16 value=32 entries=1024
entry:
    r1 = *(u32 *)(r1 +0)                    ; loads: u8 u16 u32 u64; ldsx: s8 s16 s32
    *(u64 *)(r10 -8) = r1                   ; stores from register or immediate
    r2 = r10
    r2 += -8
    r1 = map[counters]                      ; 16-byte ld_imm64 with a map reference (src 1)
    r1 = map_value[flows] + 4               ; direct value address (src 2)
    call bpf_map_lookup_elem                ; also: call 1, call bpf_map_lookup_elem#1, call pc+5 (local)
    if r0 == 0x0 goto out                   ; also goto +3, goto pc+3; w-registers for 32-bit jumps
    w0 = w1                                 ; 32-bit ALU uses wN
    r0 = (s32)r1                            ; movsx
    r0 = be16 r0                            ; also le16/32/64, bswap16/32/64
    lock *(u64 *)(r0 +0) += r1              ; atomics
    r0 = atomic_fetch_add((u32 *)(r1 +0), r0)
    r0 = 0x1234 ll                          ; 64-bit immediate
out:
    exit`);
    expect(r.type).toBe('xdp');
    expect(r.maps.map((m) => m.name)).toEqual(['counters', 'flows']);
    expect(r.labels.get('entry')).toBe(0);
    expect(r.labels.get('out')).toBe(17);
    expect(r.insns[4]).toEqual({ code: 0x18, dst: 1, src: 1, off: 0, imm: 0 });
    expect(r.insns[6]).toEqual({ code: 0x18, dst: 1, src: 2, off: 0, imm: 1 });
    expect(r.insns[7]).toEqual({ code: 0, dst: 0, src: 0, off: 0, imm: 4 });
    expect(r.insns[8]).toEqual({ code: 0x85, dst: 0, src: 0, off: 0, imm: 1 });
    expect(r.insns[9]).toEqual({ code: 0x15, dst: 0, src: 0, off: 7, imm: 0 });
    expect(r.lines[4]).toBe(11);
  });

  test.each([
    ['call 1', '8500000001000000'],
    ['call bpf_map_lookup_elem#1', '8500000001000000'],
    ['call map_lookup_elem', '8500000001000000'],
    ['call pc+5', '8510000005000000'],
    ['call kfunc_name#77', '852000004d000000'],
    ['goto +3', '0500030000000000'],
    ['goto pc-1', '0500ffff00000000'],
    ['if w1 s> -1 goto +1', '66010100ffffffff'],
    ['r0 = 0xffffffff', 'b7000000ffffffff'],
    ['w0 = 0x80000000', 'b400000000000080'],
    ['r0 = -1 ll', '18000000ffffffff00000000ffffffff'],
    ['r0 = *(u8 *)skb[r1 + 4]', '5010000004000000'],
    ['12: (bf) r1 = r6                 ; R1_w=ctx()', 'bf61000000000000'],
    ['(b7) r0 = 0', 'b700000000000000'],
    // conformance syntax
    ['mov %r0, 1', 'b700000001000000'],
    ['ldxw %r0, [%r1+4]', '6110040000000000'],
    ['stxdw [%r10-8], %r1', '7b1af8ff00000000'],
    ['lock fetch add32 [%r10-4], %r1', 'c31afcff01000000'],
    ['lock cmpxchg [%r10-8], %r1', 'db1af8fff1000000'],
    ['lddw %r0, 0x1122334455667788', '18000000887766550000000044332211'],
    ['be16 %r0', 'dc00000010000000'],
    ['neg32 %r2', '8402000000000000'],
    ['movsx1664 %r0, %r1', 'bf10100000000000'],
    ['ldxsh %r0, [%r1]', '8910000000000000'],
    ['call %r2', '8d02000000000000'],
    ['ja32 +2', '0600000002000000'],
    ['jne %r0, 15, +1', '550001000f000000'],
  ])('%s', (text, bytes) => {
    expect(hex(text)).toBe(bytes);
  });

  test('labels: forward, backward, local calls and the implicit exit label', () => {
    const r = assemble('top:\n  mov %r0, 0\n  jeq %r0, 0, exit\n  call local f\n  ja top\n  exit\nf:\n  exit\n');
    expect(r.insns.map((x) => [x.off, x.imm])).toEqual([[0, 0], [2, 0], [0, 2], [-4, 0], [0, 0], [0, 0]]);
  });

  test.each([
    ['r0 = 1\n  r1 += foo', 2, 9, "expected a register or an immediate, found 'foo'"],
    ['frob r1', 1, 1, "unknown mnemonic 'frob'"],
    ['r0 = 0x100000000', 1, 6, 'does not fit in 32 bits'],
    ['goto nowhere', 1, 6, "unknown label 'nowhere'"],
    ['r1 = map[none]', 1, 10, "unknown map 'none'"],
    ['w1 = 1 ll', 1, 1, 'needs a 64-bit destination register'],
    ['r0 = *(u32 *)(r1 +0x10000)', 1, 18, 'does not fit in 16 bits'],
    ['r1 = atomic64_fetch_add((u64 *)(r10 -8), r2)', 1, 1, 'destination must be r2'],
    ['.map m array key=4', 1, 19, 'needs entries=N'],
    ['.type nonsense', 1, 7, "unknown program type 'nonsense'"],
    ['x:\nx:', 2, 1, "duplicate label 'x'"],
    ['r0 = 1 @', 1, 8, "unexpected character '@'"],
    ['if r1 = 3 goto +1', 1, 7, "unknown comparison '='"],
  ])('error %#: %s', (text, line, col, reason) => {
    let err: unknown;
    try { assemble(text); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(AsmError);
    const a = err as AsmError;
    expect([a.line, a.col]).toEqual([line, col]);
    expect(a.reason).toContain(reason);
    expect(a.message).toBe(`line ${line}, column ${col}: ${a.reason}`);
  });
});

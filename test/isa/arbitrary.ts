/**
 * fast-check arbitraries for valid eBPF instructions: every opcode checkInsn accepts, with
 * random fields biased towards edge values. One "instruction" is one slot, or two for ld_imm64.
 */
import fc from 'fast-check';
import * as op from '../../src/isa/opcodes.js';
import type { Insn } from '../../src/isa/insn.js';

const I32_EDGES = [0, 1, -1, 2, 7, 8, 15, 16, 31, 32, 63, 64, 255, 256, 0x7fff, -0x8000, 0xffff, 0x7fffffff, -0x80000000, 0x12345678];
const I16_EDGES = [0, 1, -1, 2, 8, 0x7fff, -0x8000, 0x100, -8];

export const imm32 = fc.oneof(fc.constantFrom(...I32_EDGES), fc.integer({ min: -0x80000000, max: 0x7fffffff }));
export const off16 = fc.oneof(fc.constantFrom(...I16_EDGES), fc.integer({ min: -0x8000, max: 0x7fff }));
export const reg = fc.integer({ min: 0, max: 10 });

const ALU_OPS = [op.BPF_ADD, op.BPF_SUB, op.BPF_MUL, op.BPF_DIV, op.BPF_OR, op.BPF_AND, op.BPF_LSH, op.BPF_RSH, op.BPF_MOD, op.BPF_XOR, op.BPF_MOV, op.BPF_ARSH];
const JMP_CONDS = [op.BPF_JEQ, op.BPF_JGT, op.BPF_JGE, op.BPF_JSET, op.BPF_JNE, op.BPF_JSGT, op.BPF_JSGE, op.BPF_JLT, op.BPF_JLE, op.BPF_JSLT, op.BPF_JSLE];
const SIZES = [op.BPF_B, op.BPF_H, op.BPF_W, op.BPF_DW];
const ATOMIC_IMMS = [op.BPF_ADD, op.BPF_AND, op.BPF_OR, op.BPF_XOR, op.BPF_ADD | op.BPF_FETCH, op.BPF_AND | op.BPF_FETCH,
  op.BPF_OR | op.BPF_FETCH, op.BPF_XOR | op.BPF_FETCH, op.BPF_XCHG, op.BPF_CMPXCHG];

const slot = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn[] => [{ code, dst, src, off, imm }];

const alu = fc.oneof(
  // ALU / ALU64 with an immediate (sdiv/smod via off 1).
  fc.record({ c64: fc.boolean(), o: fc.constantFrom(...ALU_OPS), dst: reg, imm: imm32, signed: fc.boolean() }).map(({ c64, o, dst, imm, signed }) =>
    slot((c64 ? op.BPF_ALU64 : op.BPF_ALU) | o | op.BPF_K, dst, 0, signed && (o === op.BPF_DIV || o === op.BPF_MOD) ? 1 : 0, imm)),
  // ... with a register (sdiv/smod, movsx via off).
  fc.record({ c64: fc.boolean(), o: fc.constantFrom(...ALU_OPS), dst: reg, src: reg, k: fc.integer({ min: 0, max: 3 }) }).map(({ c64, o, dst, src, k }) => {
    let off = 0;
    if (o === op.BPF_DIV || o === op.BPF_MOD) off = k & 1;
    if (o === op.BPF_MOV) off = [0, 8, 16, c64 ? 32 : 0][k]!;
    return slot((c64 ? op.BPF_ALU64 : op.BPF_ALU) | o | op.BPF_X, dst, src, off, 0);
  }),
  fc.record({ c64: fc.boolean(), dst: reg }).map(({ c64, dst }) => slot((c64 ? op.BPF_ALU64 : op.BPF_ALU) | op.BPF_NEG, dst)),
  // Byte swaps: le/be (ALU, K/X) and bswap (ALU64 K).
  fc.record({ kind: fc.constantFrom(op.BPF_ALU | op.BPF_TO_LE, op.BPF_ALU | op.BPF_TO_BE, op.BPF_ALU64), dst: reg, w: fc.constantFrom(16, 32, 64) })
    .map(({ kind, dst, w }) => slot(kind | op.BPF_END, dst, 0, 0, w)),
);

const jmp = fc.oneof(
  fc.record({ j32: fc.boolean(), o: fc.constantFrom(...JMP_CONDS), dst: reg, off: off16, imm: imm32 }).map(({ j32, o, dst, off, imm }) =>
    slot((j32 ? op.BPF_JMP32 : op.BPF_JMP) | o | op.BPF_K, dst, 0, off, imm)),
  fc.record({ j32: fc.boolean(), o: fc.constantFrom(...JMP_CONDS), dst: reg, src: reg, off: off16 }).map(({ j32, o, dst, src, off }) =>
    slot((j32 ? op.BPF_JMP32 : op.BPF_JMP) | o | op.BPF_X, dst, src, off, 0)),
  off16.map((off) => slot(op.BPF_JMP | op.BPF_JA, 0, 0, off, 0)),
  imm32.map((imm) => slot(op.BPF_JMP32 | op.BPF_JA, 0, 0, 0, imm)),
  off16.map((off) => slot(op.BPF_JMP | op.BPF_JCOND, 0, op.BPF_MAY_GOTO, off, 0)),
  fc.record({ src: fc.constantFrom(0, op.BPF_PSEUDO_CALL, op.BPF_PSEUDO_KFUNC_CALL), imm: fc.oneof(fc.integer({ min: 0, max: 220 }), imm32) })
    .map(({ src, imm }) => slot(op.BPF_JMP | op.BPF_CALL, 0, src, 0, imm)),
  fc.constant(slot(op.BPF_JMP | op.BPF_EXIT)),
);

const mem = fc.oneof(
  fc.record({ sz: fc.constantFrom(...SIZES), dst: reg, src: reg, off: off16 }).map(({ sz, dst, src, off }) => slot(op.BPF_LDX | op.BPF_MEM | sz, dst, src, off)),
  fc.record({ sz: fc.constantFrom(op.BPF_B, op.BPF_H, op.BPF_W), dst: reg, src: reg, off: off16 }).map(({ sz, dst, src, off }) => slot(op.BPF_LDX | op.BPF_MEMSX | sz, dst, src, off)),
  fc.record({ sz: fc.constantFrom(...SIZES), dst: reg, off: off16, imm: imm32 }).map(({ sz, dst, off, imm }) => slot(op.BPF_ST | op.BPF_MEM | sz, dst, 0, off, imm)),
  fc.record({ sz: fc.constantFrom(...SIZES), dst: reg, src: reg, off: off16 }).map(({ sz, dst, src, off }) => slot(op.BPF_STX | op.BPF_MEM | sz, dst, src, off)),
  fc.record({ sz: fc.constantFrom(op.BPF_W, op.BPF_DW), dst: reg, src: reg, off: off16, imm: fc.constantFrom(...ATOMIC_IMMS) })
    .map(({ sz, dst, src, off, imm }) => slot(op.BPF_STX | op.BPF_ATOMIC | sz, dst, src, off, imm)),
  fc.record({ sz: fc.constantFrom(op.BPF_B, op.BPF_H, op.BPF_W), imm: imm32 }).map(({ sz, imm }) => slot(op.BPF_LD | op.BPF_ABS | sz, 0, 0, 0, imm)),
  fc.record({ sz: fc.constantFrom(op.BPF_B, op.BPF_H, op.BPF_W), src: reg, imm: imm32 }).map(({ sz, src, imm }) => slot(op.BPF_LD | op.BPF_IND | sz, 0, src, 0, imm)),
);

/** ld_imm64 with every src pseudo kind (0..6); kinds 1 and 5 keep the second imm 0, as the kernel requires. */
const ldImm64 = fc.record({ dst: reg, src: fc.integer({ min: 0, max: 6 }), lo: imm32, hi: imm32 }).map(({ dst, src, lo, hi }) => [
  { code: op.BPF_LD_IMM64, dst, src, off: 0, imm: lo },
  { code: 0, dst: 0, src: 0, off: 0, imm: src === 1 || src === 5 ? 0 : hi },
]);

/** One valid instruction (one slot, or two for ld_imm64). */
export const validInsn: fc.Arbitrary<Insn[]> = fc.oneof({ weight: 3, arbitrary: alu }, { weight: 3, arbitrary: jmp }, { weight: 3, arbitrary: mem }, { weight: 1, arbitrary: ldImm64 });

export const CLASS_NAMES = ['ld', 'ldx', 'st', 'stx', 'alu', 'jmp', 'jmp32', 'alu64'] as const;

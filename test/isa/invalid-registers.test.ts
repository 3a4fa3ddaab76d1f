/**
 * Register fields are 4 bits: r11..r15 are encodable but name no register. checkInsn judges
 * opcodes and reserved fields only; invalidRegister names the register an instruction uses in
 * the kernel's check_reg_arg order; the disassembler prints r11..r15 and the assembler reads them
 * back; strict validation refuses them, the loaders' validation leaves them to the verifier.
 */
import fc from 'fast-check';
import { describe, expect, it, test } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import { LOADER_VALIDATION, validateInsns } from '../../src/isa/decode.js';
import { disasmInsn } from '../../src/isa/disasm.js';
import type { Insn } from '../../src/isa/insn.js';
import * as op from '../../src/isa/opcodes.js';
import { checkInsn, invalidRegister } from '../../src/isa/validate.js';
import { validInsn } from './arbitrary.js';

const I = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({ code, dst, src, off, imm });
const badReg = fc.integer({ min: 11, max: 15 });

describe('invalidRegister', () => {
  it.each([
    ['mov: the source first', I(0xbf, 15, 14, 0, 0), { field: 'src', regno: 14 }],
    ['mov: the destination', I(0xbf, 15, 0, 0, 0), { field: 'dst', regno: 15 }],
    ['ldx: the source first', I(0x79, 12, 13, 0, 0), { field: 'src', regno: 13 }],
    ['stx: the source first', I(0x7b, 12, 13, 0, 0), { field: 'src', regno: 13 }],
    ['atomic: the source first', I(0xdb, 12, 13, 0, 1), { field: 'src', regno: 13 }],
    ['conditional jump: the destination first', I(0x1d, 12, 13, 0, 0), { field: 'dst', regno: 12 }],
    ['conditional jump K: the destination', I(0x15, 11, 0, 0, 0), { field: 'dst', regno: 11 }],
    ['ld_imm64: the destination', I(0x18, 15, 0, 0, 0), { field: 'dst', regno: 15 }],
    ['LD_IND: the source', I(0x40, 0, 15, 0, 0), { field: 'src', regno: 15 }],
  ])('%s', (_what, ins, want) => {
    expect(invalidRegister(ins)).toEqual(want);
  });

  it.each([
    ['an ALU K-form src (reserved)', I(0xb7, 0, 15, 0, 0)],
    ['a negation src (reserved)', I(0x87, 0, 15, 0, 0)],
    ['ld_imm64 src (its pseudo kind)', I(0x18, 0, 15, 0, 0)],
    ['LD_ABS src (reserved)', I(0x20, 0, 15, 0, 0)],
    ['call, exit, goto fields (reserved)', I(0x85, 15, 15, 0, 0)],
    ['exit', I(0x95, 15, 15, 0, 0)],
    ['goto', I(0x05, 11, 12, 0, 0)],
    ['r10', I(0xbf, 10, 10, 0, 0)],
  ])('ignores %s', (_what, ins) => {
    expect(invalidRegister(ins)).toBeNull();
  });

  test('a register field is either reserved (checkInsn refuses r11..r15 there) or used (invalidRegister names it), and round trips through the disassembler', () => {
    let used = 0;
    fc.assert(
      fc.property(validInsn, badReg, fc.boolean(), (slots, r, dstField) => {
        const x = slots[0]!;
        if (x.code === op.BPF_LD_IMM64 && !dstField) return; // src is ld_imm64's pseudo kind
        const y = dstField ? { ...x, dst: r } : { ...x, src: r };
        if (checkInsn(y) !== null) return; // a reserved field
        expect(invalidRegister(y)).toEqual({ field: dstField ? 'dst' : 'src', regno: r });
        used++;
        const text = disasmInsn([y, ...slots.slice(1)], 0);
        expect(text).toMatch(new RegExp(`\\b[rw]${r}\\b`));
        expect(assemble(text).insns).toEqual([y, ...slots.slice(1)]);
      }),
      { numRuns: 1_000 },
    );
    expect(used).toBeGreaterThan(400);
  });
});

describe('validateInsns', () => {
  const dead = [I(0xb7, 0, 0, 0, 0), I(0x15, 0, 0, 1, 0), I(0xbf, 15, 0, 0, 0), I(0x95, 0, 0, 0, 0)];
  it('refuses a used r11..r15 by default, naming the field', () => {
    expect(() => validateInsns(dead)).toThrow('insn 2: invalid dst register r15');
    expect(() => validateInsns([I(0x7b, 10, 12, -8, 0), I(0x95, 0, 0, 0, 0)])).toThrow('insn 0: invalid src register r12');
  });
  it('with the loaders\' options leaves registers to the verifier, but still refuses what the kernel refuses at load', () => {
    expect(() => validateInsns(dead, LOADER_VALIDATION)).not.toThrow();
    expect(() => validateInsns([I(0xb7, 15, 0, 0, 0), I(0x05, 0, 0, 5, 0)], LOADER_VALIDATION)).toThrow('jump out of range');
    expect(() => validateInsns([I(0xbf, 15, 0, 0, 0), I(0xff, 0, 0, 0, 0)], LOADER_VALIDATION)).toThrow('unknown opcode 0xff');
  });
});

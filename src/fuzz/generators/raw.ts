/**
 * Raw and mutational generation, for bad inputs: random valid-encoding instructions, and
 * mutations (field changes, deletions, duplications, swaps, insertions, jump nudges) of seed
 * programs -- corpus entries, bundled examples or structured programs. Most results are
 * rejected; they exercise the verifier's error paths and the verdict comparison with the kernel.
 */
import fc from 'fast-check';
import { copyInsn, type Insn, makeInsn } from '../../isa/insn.js';
import * as op from '../../isa/opcodes.js';
import { makeMapSpec, makeProgram, type Program } from '../../isa/program.js';
import { imm32Arb } from './constants.js';
import { FUZZ_PROG_TYPES } from './shape.js';

const reg = fc.integer({ min: 0, max: 10 });
const off16 = fc.oneof(fc.constantFrom(0, 1, -1, 2, -8, 8, 0x7fff, -0x8000), fc.integer({ min: -0x8000, max: 0x7fff }), fc.integer({ min: -8, max: 16 }));
const ALU_OPS = [op.BPF_ADD, op.BPF_SUB, op.BPF_MUL, op.BPF_DIV, op.BPF_OR, op.BPF_AND, op.BPF_LSH, op.BPF_RSH, op.BPF_MOD, op.BPF_XOR, op.BPF_MOV, op.BPF_ARSH];
const JMP_OPS = [op.BPF_JEQ, op.BPF_JGT, op.BPF_JGE, op.BPF_JSET, op.BPF_JNE, op.BPF_JSGT, op.BPF_JSGE, op.BPF_JLT, op.BPF_JLE, op.BPF_JSLT, op.BPF_JSLE];
const SIZES = [op.BPF_B, op.BPF_H, op.BPF_W, op.BPF_DW];
const ATOMIC_IMMS = [op.BPF_ADD, op.BPF_AND, op.BPF_OR, op.BPF_XOR, op.BPF_ADD | op.BPF_FETCH, op.BPF_XCHG, op.BPF_CMPXCHG];

const one = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn[] => [makeInsn(code, dst, src, off, imm)];

/** One instruction with a valid encoding (two slots for ld_imm64); operands are unconstrained. */
export const rawInsnArb: fc.Arbitrary<Insn[]> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ c: fc.constantFrom(op.BPF_ALU, op.BPF_ALU64), o: fc.constantFrom(...ALU_OPS), x: fc.boolean(), dst: reg, src: reg, imm: imm32Arb })
    .map(({ c, o, x, dst, src, imm }) => one(c | o | (x ? op.BPF_X : op.BPF_K), dst, x ? src : 0, 0, x ? 0 : imm)) },
  { weight: 3, arbitrary: fc.record({ c: fc.constantFrom(op.BPF_JMP, op.BPF_JMP32), o: fc.constantFrom(...JMP_OPS), x: fc.boolean(), dst: reg, src: reg, off: fc.integer({ min: -3, max: 6 }), imm: imm32Arb })
    .map(({ c, o, x, dst, src, off, imm }) => one(c | o | (x ? op.BPF_X : op.BPF_K), dst, x ? src : 0, off, x ? 0 : imm)) },
  { weight: 3, arbitrary: fc.record({ sz: fc.constantFrom(...SIZES), dst: reg, src: reg, off: off16 }).map(({ sz, dst, src, off }) => one(op.BPF_LDX | op.BPF_MEM | sz, dst, src, off)) },
  { weight: 2, arbitrary: fc.record({ sz: fc.constantFrom(...SIZES), dst: reg, src: reg, off: off16 }).map(({ sz, dst, src, off }) => one(op.BPF_STX | op.BPF_MEM | sz, dst, src, off)) },
  { weight: 1, arbitrary: fc.record({ sz: fc.constantFrom(...SIZES), dst: reg, off: off16, imm: imm32Arb }).map(({ sz, dst, off, imm }) => one(op.BPF_ST | op.BPF_MEM | sz, dst, 0, off, imm)) },
  { weight: 1, arbitrary: fc.record({ sz: fc.constantFrom(op.BPF_W, op.BPF_DW), dst: reg, src: reg, off: off16, imm: fc.constantFrom(...ATOMIC_IMMS) })
    .map(({ sz, dst, src, off, imm }) => one(op.BPF_STX | op.BPF_ATOMIC | sz, dst, src, off, imm)) },
  { weight: 1, arbitrary: fc.constantFrom(1, 2, 3, 5, 7, 8, 14, 26).map((id) => one(op.BPF_JMP | op.BPF_CALL, 0, 0, 0, id)) },
  { weight: 1, arbitrary: fc.record({ dst: reg, lo: imm32Arb, hi: imm32Arb, map: fc.boolean() }).map(({ dst, lo, hi, map }): Insn[] => [
    makeInsn(op.BPF_LD_IMM64, dst, map ? op.BPF_PSEUDO_MAP_FD : 0, 0, map ? 0 : lo),
    makeInsn(0, 0, 0, 0, map ? 0 : hi),
  ]) },
  { weight: 1, arbitrary: fc.constant(one(op.BPF_JMP | op.BPF_EXIT)) },
);

/** Redirects jumps that leave the program or land inside an ld_imm64 to the last instruction, so the encoding stays valid. */
function fixJumps(insns: Insn[]): Insn[] {
  const second = new Uint8Array(insns.length);
  insns.forEach((i, pc) => { if (i.code === op.BPF_LD_IMM64) second[pc + 1] = 1; });
  insns.forEach((i, pc) => {
    const c = op.cls(i.code);
    if ((c !== op.BPF_JMP && c !== op.BPF_JMP32) || second[pc]) return;
    const o = op.jmpOp(i.code);
    if (o === op.BPF_CALL || o === op.BPF_EXIT) return;
    const t = pc + 1 + i.off;
    if (t < 0 || t >= insns.length || second[t]) i.off = insns.length - 1 - pc - 1;
  });
  return insns;
}

/** A random program: a few raw instructions, r0 set, exit. Valid encoding; mostly rejected by a verifier. */
export const rawProgramArb: fc.Arbitrary<Program> = fc
  .record({ type: fc.constantFrom(...FUZZ_PROG_TYPES), body: fc.array(rawInsnArb, { minLength: 1, maxLength: 16 }) })
  .map(({ type, body }) => makeProgram({
    name: 'raw', section: '', type, license: 'GPL',
    maps: [makeMapSpec({ name: 'map0', type: 'array', keySize: 4, valueSize: 16, maxEntries: 4, flags: 0 })],
    insns: fixJumps([...body.flat().map(copyInsn), ...one(op.BPF_ALU64 | op.BPF_MOV | op.BPF_K, 0), ...one(op.BPF_JMP | op.BPF_EXIT)]),
  }));

export type Mutation =
  | { k: 'field'; at: number; field: 'dst' | 'src' | 'off' | 'imm'; value: number }
  | { k: 'nudge'; at: number; delta: number }
  | { k: 'delete'; at: number }
  | { k: 'dup'; at: number }
  | { k: 'swap'; a: number; b: number }
  | { k: 'insert'; at: number; insns: Insn[] }
  | { k: 'opcode'; at: number; code: number };

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ k: fc.constant('field' as const), at: fc.nat(), field: fc.constantFrom('dst' as const, 'src' as const, 'off' as const, 'imm' as const), value: fc.oneof(reg, imm32Arb) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('nudge' as const), at: fc.nat(), delta: fc.constantFrom(-8, -4, -2, -1, 1, 2, 4, 8) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('delete' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('dup' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('swap' as const), a: fc.nat(), b: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('insert' as const), at: fc.nat(), insns: rawInsnArb }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('opcode' as const), at: fc.nat(), code: fc.nat(255) }) },
);

/** Applies mutations to a copy of `insns` (positions are taken modulo the current length). */
export function mutateInsns(insns: readonly Insn[], muts: readonly Mutation[]): Insn[] {
  const out = insns.map(copyInsn);
  for (const m of muts) {
    if (out.length === 0) break;
    const n = out.length;
    switch (m.k) {
      case 'field': {
        const i = out[m.at % n]!;
        if (m.field === 'off') i.off = (m.value << 16) >> 16;
        else if (m.field === 'imm') i.imm = m.value | 0;
        else i[m.field] = m.value & 0xf;
        break;
      }
      case 'nudge': {
        const i = out[m.at % n]!;
        const c = op.cls(i.code);
        if (c === op.BPF_JMP || c === op.BPF_JMP32) i.off = ((i.off + m.delta) << 16) >> 16;
        else if (c === op.BPF_LDX || c === op.BPF_STX || c === op.BPF_ST) i.off = ((i.off + m.delta) << 16) >> 16;
        else i.imm = (i.imm + m.delta) | 0;
        break;
      }
      case 'delete': out.splice(m.at % n, 1); break;
      case 'dup': out.splice(m.at % n, 0, copyInsn(out[m.at % n]!)); break;
      case 'swap': {
        const a = m.a % n, b = m.b % n;
        const t = out[a]!;
        out[a] = out[b]!;
        out[b] = t;
        break;
      }
      case 'insert': out.splice(m.at % (n + 1), 0, ...m.insns.map(copyInsn)); break;
      case 'opcode': out[m.at % n]!.code = m.code & 0xff; break;
    }
  }
  if (out.length === 0) out.push(makeInsn(op.BPF_JMP | op.BPF_EXIT, 0, 0, 0, 0));
  return out;
}

/** Mutants of programs drawn from `base` (seed programs, or structured programs). */
export function mutatedProgramArb(base: fc.Arbitrary<Program>, maxMutations = 3): fc.Arbitrary<Program> {
  return fc.tuple(base, fc.array(mutationArb, { minLength: 1, maxLength: maxMutations }))
    .map(([p, muts]) => makeProgram({ ...p, name: `${p.name}-mut`, insns: mutateInsns(p.insns, muts) }));
}

/** Mutants of fixed seed programs. */
export function seedMutantArb(seeds: readonly Program[], maxMutations = 3): fc.Arbitrary<Program> {
  if (seeds.length === 0) throw new Error('seedMutantArb: no seed programs');
  return mutatedProgramArb(fc.constantFrom(...seeds), maxMutations);
}

/**
 * Random eBPF programs for differential testing (VM vs JIT). Programs are built from units
 * (one instruction, or a short idiom like "r3 = r10; r3 += -8") so that jumps always land on
 * unit boundaries; they are NOT verifier-clean: pointers are mixed with scalars, accesses go
 * out of bounds, loops may not terminate (the step limit ends them), calls may recurse too deep.
 * The point is that both engines must agree on everything, faults included.
 */
import fc from 'fast-check';
import type { Insn } from '../../src/isa/insn.js';
import { insn, ldImm64 } from '../../src/isa/insn.js';
import * as op from '../../src/isa/opcodes.js';

/** A unit as drawn: kind and four free parameters, interpreted by `build`. */
export type Unit = [number, number, number, number, number];

const IMM_EDGES = [0, 1, -1, 2, 7, 8, 16, 31, 32, 33, 63, 64, 0x7fffffff, -0x80000000, 0xff, 0xffff, -8, -512, 512, 0x12345678];
const I64_EDGES = [0n, -1n, 1n << 63n, (1n << 63n) - 1n, 0xffffffffn, 0x100000000n, 0x80000000n, 0xffffffff80000000n, 0x0123456789abcdefn];
const ALU_OPS = [op.BPF_ADD, op.BPF_SUB, op.BPF_MUL, op.BPF_DIV, op.BPF_OR, op.BPF_AND, op.BPF_LSH, op.BPF_RSH, op.BPF_NEG, op.BPF_MOD, op.BPF_XOR, op.BPF_MOV, op.BPF_ARSH];
const JMP_OPS = [op.BPF_JEQ, op.BPF_JGT, op.BPF_JGE, op.BPF_JSET, op.BPF_JNE, op.BPF_JSGT, op.BPF_JSGE, op.BPF_JLT, op.BPF_JLE, op.BPF_JSLT, op.BPF_JSLE];
const SIZES = [op.BPF_B, op.BPF_H, op.BPF_W, op.BPF_DW];
const ATOMICS = [op.BPF_ADD, op.BPF_OR, op.BPF_AND, op.BPF_XOR, op.BPF_ADD | op.BPF_FETCH, op.BPF_OR | op.BPF_FETCH,
  op.BPF_AND | op.BPF_FETCH, op.BPF_XOR | op.BPF_FETCH, op.BPF_XCHG, op.BPF_CMPXCHG];
/** Deterministic helpers (the run's clock, PRNG, task and cpu are fixed): ktime_get_ns, prandom, smp id, pid_tgid, trace_printk. */
const HELPER_IDS = [5, 7, 8, 14, 6];

const pick = <T>(xs: readonly T[], n: number): T => xs[Math.abs(n) % xs.length]!;
const imm = (n: number, raw: number): number => (Math.abs(n) % 3 === 0 ? raw | 0 : pick(IMM_EDGES, n >> 2));
/** A register to write: mostly r0..r9, rarely r10 (the VM lets unverified code move the frame pointer). */
const dstReg = (n: number): number => (Math.abs(n) % 97 === 0 ? 10 : Math.abs(n) % 10);
const srcReg = (n: number): number => Math.abs(n) % 11;
/** Offsets near the stack frame (r10-relative), mostly valid and aligned. */
const stackOff = (n: number, size: number): number => {
  const m = Math.abs(n) % 16;
  if (m < 11) return -size * (1 + (Math.abs(n >> 4) % (512 / size)));
  if (m < 13) return -((Math.abs(n >> 4) % 520) + 1);
  return (Math.abs(n >> 4) % 16) - 4;
};

interface Slot { insns: Insn[]; /** unit index to jump to (relative, resolved by build) */ jump?: number; call?: 'sub' }

function unit(u: Unit, i: number, n: number, hasSub: boolean): Slot {
  const [k, a, b, c, d] = u;
  const kind = Math.abs(k) % 20;
  switch (kind) {
    case 0: case 1: case 2: case 3: { // ALU
      const cls = kind & 1 ? op.BPF_ALU : op.BPF_ALU64;
      const o = pick(ALU_OPS, a);
      const x = (b & 1) === 1;
      const dst = dstReg(c);
      if (o === op.BPF_NEG) return { insns: [insn(cls | o, dst)] };
      const off = (o === op.BPF_DIV || o === op.BPF_MOD) && (b & 2) ? 1 : 0;
      return { insns: [x ? insn(cls | o | op.BPF_X, dst, srcReg(d), off, 0) : insn(cls | o, dst, 0, off, imm(d, b))] };
    }
    case 4: { // ld_imm64
      const v = Math.abs(a) % 2 === 0 ? pick(I64_EDGES, b) : (BigInt(b >>> 0) << 32n) | BigInt(d >>> 0);
      return { insns: ldImm64(dstReg(c), v) };
    }
    case 5: { // pointer derivation: rD = r10 or r1, rD += k
      const dst = 1 + (Math.abs(c) % 9);
      const base = a & 1 ? 10 : 1;
      const k2 = base === 10 ? stackOff(b, 1 << (Math.abs(d) % 4)) : (Math.abs(b) % 72) - 4;
      return { insns: [insn(op.BPF_ALU64 | op.BPF_MOV | op.BPF_X, dst, base), insn(op.BPF_ALU64 | op.BPF_ADD, dst, 0, 0, k2)] };
    }
    case 6: case 7: { // load (LDX / LDSX)
      const sz = pick(SIZES, a);
      const bytes = op.sizeBytes(sz);
      const sx = (b & 3) === 3 && sz !== op.BPF_DW;
      const base = Math.abs(c) % 4 === 0 ? srcReg(c >> 2) : Math.abs(c) % 4 === 1 ? 1 : 10;
      const off = base === 10 ? stackOff(d, bytes) : base === 1 ? (Math.abs(d) % 72) - 4 : (d % 64);
      return { insns: [insn(op.BPF_LDX | (sx ? op.BPF_MEMSX : op.BPF_MEM) | sz, dstReg(b >> 2), base, off, 0)] };
    }
    case 8: case 9: { // store (ST / STX)
      const sz = pick(SIZES, a);
      const bytes = op.sizeBytes(sz);
      const base = Math.abs(c) % 4 === 0 ? srcReg(c >> 2) : Math.abs(c) % 4 === 1 ? 1 : 10;
      const off = base === 10 ? stackOff(d, bytes) : base === 1 ? (Math.abs(d) % 72) - 4 : (d % 64);
      if (b & 1) return { insns: [insn(op.BPF_ST | op.BPF_MEM | sz, base, 0, off, imm(b >> 1, d))] };
      return { insns: [insn(op.BPF_STX | op.BPF_MEM | sz, base, srcReg(b >> 1), off, 0)] };
    }
    case 10: { // atomic on the stack (or wherever the base points)
      const sz = a & 1 ? op.BPF_DW : op.BPF_W;
      const base = Math.abs(c) % 5 === 0 ? srcReg(c >> 3) : Math.abs(c) % 5 === 1 ? 1 : 10;
      const bytes = op.sizeBytes(sz);
      const off = base === 10 ? stackOff(d, bytes) : (Math.abs(d) % 72) - 4;
      return { insns: [insn(op.BPF_STX | op.BPF_ATOMIC | sz, base, srcReg(b), off, pick(ATOMICS, b >> 4))] };
    }
    case 11: case 12: case 13: { // conditional jump, mostly forward
      const cls = a & 1 ? op.BPF_JMP32 : op.BPF_JMP;
      const o = pick(JMP_OPS, a >> 1);
      const back = Math.abs(b) % 8 === 0;
      const t = back ? -(Math.abs(b >> 3) % (i + 1)) - 1 : Math.abs(b >> 3) % Math.max(1, n - i);
      const x = (c & 1) === 1;
      return { insns: [x ? insn(cls | o | op.BPF_X, srcReg(c >> 1), srcReg(d), 0, 0) : insn(cls | o, srcReg(c >> 1), 0, 0, imm(d, c))], jump: t };
    }
    case 14: { // ja (JMP, or JMP32 "gotol" with the offset in imm)
      const back = Math.abs(b) % 6 === 0;
      const t = back ? -(Math.abs(b >> 3) % (i + 1)) - 1 : Math.abs(b >> 3) % Math.max(1, n - i);
      return { insns: [insn((a & 1 ? op.BPF_JMP32 : op.BPF_JMP) | op.BPF_JA)], jump: t };
    }
    case 15: { // helper call
      const id = pick(HELPER_IDS, a);
      if (id === 6) return { insns: [insn(op.BPF_ALU64 | op.BPF_MOV | op.BPF_X, 1, 10), insn(op.BPF_ALU64 | op.BPF_ADD, 1, 0, 0, -16), insn(op.BPF_ALU64 | op.BPF_MOV, 2, 0, 0, Math.abs(b) % 20), insn(op.BPF_JMP | op.BPF_CALL, 0, 0, 0, 6)] };
      return { insns: [insn(op.BPF_JMP | op.BPF_CALL, 0, 0, 0, id)] };
    }
    case 16: { // bpf-to-bpf call into the subprogram
      if (!hasSub) return { insns: [insn(op.BPF_ALU64 | op.BPF_MOV, 0, 0, 0, a)] };
      return { insns: [insn(op.BPF_JMP | op.BPF_CALL, 0, op.BPF_PSEUDO_CALL, 0, 0)], call: 'sub' };
    }
    case 17: { // movsx
      const is64 = (a & 1) === 1;
      const offs = is64 ? [8, 16, 32] : [8, 16];
      return { insns: [insn((is64 ? op.BPF_ALU64 : op.BPF_ALU) | op.BPF_MOV | op.BPF_X, dstReg(c), srcReg(d), pick(offs, b), 0)] };
    }
    case 18: { // byte swaps: le/be (ALU) and bswap (ALU64)
      const w = pick([16, 32, 64], a);
      const cls = (b & 3) === 0 ? op.BPF_ALU64 : op.BPF_ALU;
      const src = cls === op.BPF_ALU64 ? op.BPF_TO_LE : (b & 1 ? op.BPF_TO_BE : op.BPF_TO_LE);
      return { insns: [insn(cls | op.BPF_END | src, dstReg(c), 0, 0, w)] };
    }
    default: // mov of an edge immediate (keeps values interesting)
      return { insns: [insn((a & 1 ? op.BPF_ALU : op.BPF_ALU64) | op.BPF_MOV, dstReg(c), 0, 0, imm(d, b))] };
  }
}

/** Lays out units (main, then an optional subprogram), resolving unit-relative jumps to slots. */
export function build(main: Unit[], sub: Unit[] | null): Insn[] {
  const fn = (units: Unit[], hasSub: boolean): Slot[] => {
    const slots = units.map((u, i) => unit(u, i, units.length, hasSub));
    slots.push({ insns: [insn(op.BPF_JMP | op.BPF_EXIT)] });
    return slots;
  };
  const parts = [fn(main, sub !== null)];
  if (sub) parts.push(fn(sub, true));
  const out: Insn[] = [];
  const starts: number[] = [];
  const fixups: Array<{ at: number; slot: Slot; unitIdx: number; partStarts: number[]; part: number }> = [];
  parts.forEach((slots, p) => {
    const unitPc: number[] = [];
    let pc = out.length;
    starts.push(pc);
    for (const s of slots) { unitPc.push(pc); pc += s.insns.length; }
    unitPc.push(pc);
    slots.forEach((s, ui) => {
      const at = out.length + s.insns.length - 1;
      out.push(...s.insns.map((x) => ({ ...x })));
      if (s.jump !== undefined) {
        const target = Math.min(Math.max(ui + 1 + s.jump, 0), slots.length - 1);
        const rel = unitPc[target]! - (at + 1);
        const j = out[at]!;
        if (op.cls(j.code) === op.BPF_JMP32 && op.jmpOp(j.code) === op.BPF_JA) j.imm = rel; else j.off = rel;
      }
      if (s.call) fixups.push({ at, slot: s, unitIdx: ui, partStarts: starts, part: p });
    });
  });
  for (const f of fixups) out[f.at]!.imm = starts[1]! - (f.at + 1);
  return out;
}

const unitArb: fc.Arbitrary<Unit> = fc.tuple(fc.integer(), fc.integer(), fc.integer(), fc.integer(), fc.integer());

/** A random program: 1..40 main units and, half of the time, a subprogram of 1..12 units. */
export const programArb: fc.Arbitrary<Insn[]> = fc
  .tuple(fc.array(unitArb, { minLength: 1, maxLength: 40 }), fc.option(fc.array(unitArb, { minLength: 1, maxLength: 12 }), { freq: 2 }))
  .map(([m, s]) => build(m, s));

/** 64 bytes of input memory (r1 points to it, r2 holds its length). */
export const memArb = fc.uint8Array({ minLength: 64, maxLength: 64 });

/**
 * A generator of plausible eBPF programs for the differential and soundness tests: a prologue
 * that keeps the context in r6, zeroes some stack and sets up packet pointers (r7 = data,
 * r8 = data_end) and a map value (r9, NULL-checked or not), then random actions (ALU, context,
 * stack, map value and packet accesses, forward branches, helper calls), then exit.
 */
import fc from 'fast-check';
import type { Insn } from '../../src/isa/insn.js';
import type { MapSpec, ProgType, Program } from '../../src/isa/program.js';

const I = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn => ({ code, dst, src, off, imm });

export const GEN_MAP: MapSpec = { name: 'm', type: 'hash', keySize: 4, valueSize: 16, maxEntries: 4, flags: 0 };

const SIZES = [0x00, 0x08, 0x10, 0x18]; // W H B DW
const BYTES: Record<number, number> = { 0x00: 4, 0x08: 2, 0x10: 1, 0x18: 8 };
const ALU = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0, 0xc0, 0x80];
const JMP = [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0];

type Action =
  | { k: 'mov'; dst: number; imm: number }
  | { k: 'alu'; op: number; alu64: boolean; dst: number; src: number | null; imm: number }
  | { k: 'ctx'; dst: number; size: number; off: number }
  | { k: 'stst'; size: number; off: number; src: number | null; imm: number }
  | { k: 'stld'; dst: number; size: number; off: number }
  | { k: 'map'; write: boolean; reg: number; size: number; off: number }
  | { k: 'mapvar'; idx: number; mask: number; size: number; write: boolean }
  | { k: 'pkt'; check: number; size: number; off: number; write: boolean; rev: boolean }
  | { k: 'jmp'; op: number; jmp32: boolean; dst: number; src: number | null; imm: number; skip: number }
  | { k: 'call'; id: number };

const reg05 = fc.integer({ min: 0, max: 5 });
const smallImm = fc.oneof(fc.integer({ min: -16, max: 64 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }));

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ k: fc.constant('mov' as const), dst: reg05, imm: smallImm }),
  fc.record({
    k: fc.constant('alu' as const), op: fc.constantFrom(...ALU), alu64: fc.boolean(), dst: reg05,
    src: fc.option(reg05, { freq: 3 }), imm: fc.integer({ min: 0, max: 40 }),
  }),
  fc.record({ k: fc.constant('ctx' as const), dst: reg05, size: fc.constantFrom(...SIZES), off: fc.oneof(fc.constantFrom(0, 4, 8, 12, 16, 48, 52), fc.integer({ min: 0, max: 50 }).map((x) => x * 4)) }),
  fc.record({ k: fc.constant('stst' as const), size: fc.constantFrom(...SIZES), off: fc.integer({ min: 1, max: 40 }), src: fc.option(reg05), imm: smallImm }),
  fc.record({ k: fc.constant('stld' as const), dst: reg05, size: fc.constantFrom(...SIZES), off: fc.integer({ min: 1, max: 34 }) }),
  fc.record({ k: fc.constant('map' as const), write: fc.boolean(), reg: reg05, size: fc.constantFrom(...SIZES), off: fc.integer({ min: -2, max: 18 }) }),
  fc.record({ k: fc.constant('mapvar' as const), idx: reg05, mask: fc.constantFrom(1, 3, 7, 8, 15, 31, 0xff), size: fc.constantFrom(...SIZES), write: fc.boolean() }),
  fc.record({ k: fc.constant('pkt' as const), check: fc.integer({ min: 0, max: 40 }), size: fc.constantFrom(...SIZES), off: fc.integer({ min: -2, max: 40 }), write: fc.boolean(), rev: fc.boolean() }),
  fc.record({
    k: fc.constant('jmp' as const), op: fc.constantFrom(...JMP), jmp32: fc.boolean(), dst: reg05, src: fc.option(reg05, { freq: 3 }),
    imm: fc.integer({ min: -4, max: 40 }), skip: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({ k: fc.constant('call' as const), id: fc.constantFrom(5, 7, 8) }),
);

function emit(a: Action, type: ProgType): Insn[] {
  switch (a.k) {
    case 'mov': return [I(0xb7, a.dst, 0, 0, a.imm)];
    case 'alu': {
      const cls = a.alu64 ? 0x07 : 0x04;
      if (a.op === 0x80) return [I(cls | 0x80, a.dst)];
      const isShift = a.op === 0x60 || a.op === 0x70 || a.op === 0xc0;
      const imm = isShift ? a.imm % (a.alu64 ? 64 : 32) : (a.op === 0x30 || a.op === 0x90) && a.imm === 0 ? 3 : a.imm;
      return a.src === null ? [I(cls | a.op, a.dst, 0, 0, imm)] : [I(cls | a.op | 0x08, a.dst, a.src)];
    }
    case 'ctx': {
      // Mostly fields the program type may read, sometimes anything.
      if (a.off % 7 === 0) return [I(0x61 | a.size, a.dst, 6, a.off)];
      if (type === 'xdp') return [I(0x61, a.dst, 6, 12 + (a.off % 3) * 4)];
      if (type === 'kprobe') return [I(0x79, a.dst, 6, (a.off % 21) * 8)];
      return [I(0x61, a.dst, 6, [0, 4, 8, 16, 24, 32, 36, 40, 48, 52, 56][a.off % 11]!)];
    }
    case 'stst': {
      const n = BYTES[a.size]!;
      const off = -Math.ceil(a.off / n) * n;
      return a.src === null ? [I(0x62 | a.size, 10, 0, off, a.imm)] : [I(0x63 | a.size, 10, a.src, off)];
    }
    case 'stld': {
      const n = BYTES[a.size]!;
      return [I(0x61 | a.size, a.dst, 10, -Math.ceil(a.off / n) * n)];
    }
    case 'map':
      if (a.off >= 0 && a.off % 5 !== 0) { // mostly in-bounds, size-aligned
        const n = BYTES[a.size]!;
        const off = Math.floor((a.off % 16) / n) * n;
        return a.write ? [I(0x63 | a.size, 9, a.reg, Math.min(off, 16 - n))] : [I(0x61 | a.size, a.reg, 9, Math.min(off, 16 - n))];
      }
      return a.write ? [I(0x63 | a.size, 9, a.reg, a.off)] : [I(0x61 | a.size, a.reg, 9, a.off)];
    case 'mapvar':
      // r1 = idx & mask; r1 += r9; access
      return [I(0xbf, 1, a.idx), I(0x57, 1, 0, 0, a.mask), I(0x0f, 1, 9), a.write ? I(0x62 | a.size, 1, 0, 0, 1) : I(0x61 | a.size, 0, 1, 0)];
    case 'pkt': {
      const access = a.write ? I(0x62 | a.size, 7, 0, a.off, 7) : I(0x61 | a.size, 0, 7, a.off);
      // r1 = r7 + check; if r1 > r8 goto +1 (or r8 < r1); access
      const cmp = a.rev ? I(0xad, 8, 1, 1) : I(0x2d, 1, 8, 1);
      return [I(0xbf, 1, 7), I(0x07, 1, 0, 0, a.check), cmp, access];
    }
    case 'jmp': return []; // resolved by the caller
    case 'call': return [I(0x85, 0, 0, 0, a.id), ...[1, 2, 3, 4, 5].map((r) => I(0xb7, r, 0, 0, r))];
  }
}

export interface GenProgram {
  program: Program;
}

const TYPES: ProgType[] = ['xdp', 'sched_cls', 'socket_filter', 'kprobe'];

export const programArb: fc.Arbitrary<Program> = fc.record({
  type: fc.constantFrom(...TYPES),
  lookup: fc.constantFrom('checked', 'checked', 'checked', 'unchecked', 'none'),
  actions: fc.array(action, { minLength: 2, maxLength: 14 }),
  ret: fc.oneof(fc.constant(-1), reg05),
}).map(({ type, lookup, actions, ret }) => {
  const insns: Insn[] = [I(0xbf, 6, 1), I(0xb7, 0, 0, 0, 0), I(0xb7, 3, 0, 0, 3), I(0xb7, 4, 0, 0, 4), I(0xb7, 5, 0, 0, 5)];
  for (let off = -8; off >= -32; off -= 8) insns.push(I(0x7a, 10, 0, off, 0));
  if (type === 'xdp') insns.push(I(0x61, 7, 6, 0), I(0x61, 8, 6, 4));
  else if (type === 'sched_cls') insns.push(I(0x61, 7, 6, 76), I(0x61, 8, 6, 80));
  else insns.push(I(0xb7, 7, 0, 0, 0), I(0xb7, 8, 0, 0, 0));
  insns.push(I(0xb7, 1, 0, 0, 1), I(0xb7, 2, 0, 0, 2));
  if (lookup !== 'none') {
    insns.push(I(0x62, 10, 0, -36, 0), I(0xbf, 2, 10), I(0x07, 2, 0, 0, -36), I(0x18, 1, 1, 0, 0), I(0, 0, 0, 0, 0), I(0x85, 0, 0, 0, 1), I(0xbf, 9, 0));
    if (lookup === 'checked') insns.push(I(0x55, 9, 0, 2, 0), I(0xb7, 0, 0, 0, 0), I(0x95));
    for (let r = 1; r <= 5; r++) insns.push(I(0xb7, r, 0, 0, r * 3));
  } else insns.push(I(0xbf, 9, 10), I(0x07, 9, 0, 0, -32));
  const bodies = actions.map((a) => emit(a, type));
  for (let i = 0; i < actions.length; i++) {
    const a = actions[i]!;
    if (a.k !== 'jmp') { insns.push(...bodies[i]!); continue; }
    let skip = 0;
    for (let j = i + 1; j <= Math.min(actions.length - 1, i + a.skip); j++) skip += bodies[j]!.length;
    const cls = a.jmp32 ? 0x06 : 0x05;
    insns.push(a.src === null ? I(cls | a.op, a.dst, 0, skip, a.imm) : I(cls | a.op | 0x08, a.dst, a.src, skip));
  }
  if (ret < 0) insns.push(I(0xb7, 0, 0, 0, type === 'xdp' ? 2 : 0));
  else insns.push(I(0xbf, 0, ret), I(0x57, 0, 0, 0, 1));
  insns.push(I(0x95));
  return { name: 'gen', section: '', type, insns, maps: lookup === 'none' ? [] : [GEN_MAP], license: 'GPL' } satisfies Program;
});

/**
 * Differential property test: random straight-line-with-forward-jumps programs (every ALU64/ALU32
 * operator, K and X forms, byte swaps, sign extensions, stack loads/stores incl. sign-extending
 * loads, atomics on the stack, all conditional jumps in 64 and 32 bits) run on the VM and in the
 * running kernel (BPF_PROG_TEST_RUN); r0 (full 64 bits, captured through a map) must agree.
 * Registers start at edge values (0, -1, INT_MIN, INT_MAX, u32 edges, shift widths, ...).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Insn } from '../../src/isa/insn.js';
import { ldImm64 } from '../../src/isa/insn.js';
import { disasmProgram } from '../../src/isa/disasm.js';
import type { Program } from '../../src/isa/program.js';
import { kernelAvailable, runInKernel } from '../../src/kernel/index.js';
import { Vm } from '../../src/vm/index.js';

const RUNS = Number(process.env['BPFLAB_DIFF_RUNS'] ?? 10_000);

const I = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn => ({ code, dst, src, off, imm });

const EDGE = [0n, 1n, -1n, 2n, -2n, 0x7fffffffn, -0x80000000n, 0x80000000n, 0xffffffffn, 0x100000000n, 0x7fffffffffffffffn,
  -0x8000000000000000n, 31n, 32n, 63n, 64n, 65n, 0xffn, 0xffffn, 0x8000n, 0x80n, -0x8000n];
const val64 = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...EDGE) }, { weight: 2, arbitrary: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }) }, { weight: 1, arbitrary: fc.integer({ min: -300, max: 300 }).map(BigInt) });
const imm32 = fc.oneof(fc.constantFrom(0, 1, -1, 0x7fffffff, -0x80000000, 31, 32, 63, 64, 0xff, 0xffff, -0x8000), fc.integer({ min: -0x80000000, max: 0x7fffffff }));
const reg = fc.integer({ min: 0, max: 9 });

// ALU op codes (high nibble) and whether off selects the signed form
const ALU_OPS = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0, 0xb0, 0xc0];
const JMP_OPS = [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0];
const SIZES = [0x00, 0x08, 0x10, 0x18]; // W H B DW
const BYTES: Record<number, number> = { 0x00: 4, 0x08: 2, 0x10: 1, 0x18: 8 };
const ATOMICS = [0x00, 0x40, 0x50, 0xa0, 0x01, 0x41, 0x51, 0xa1, 0xe1, 0xf1];

type Spec =
  | { k: 'alu'; is64: boolean; op: number; x: boolean; dst: number; src: number; imm: number; signed: boolean }
  | { k: 'neg'; is64: boolean; dst: number }
  | { k: 'movsx'; is64: boolean; bits: number; dst: number; src: number }
  | { k: 'end'; kind: number; bits: number; dst: number }
  | { k: 'st'; size: number; slot: number; src: number; imm: number; x: boolean }
  | { k: 'ld'; size: number; slot: number; dst: number; sx: boolean }
  | { k: 'atomic'; dw: boolean; op: number; slot: number; src: number }
  | { k: 'jmp'; is64: boolean; op: number; x: boolean; dst: number; src: number; imm: number; skip: number };

const spec: fc.Arbitrary<Spec> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ k: fc.constant('alu' as const), is64: fc.boolean(), op: fc.constantFrom(...ALU_OPS), x: fc.boolean(), dst: reg, src: reg, imm: imm32, signed: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('neg' as const), is64: fc.boolean(), dst: reg }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('movsx' as const), is64: fc.boolean(), bits: fc.constantFrom(8, 16, 32), dst: reg, src: reg }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('end' as const), kind: fc.constantFrom(0xd4, 0xdc, 0xd7), bits: fc.constantFrom(16, 32, 64), dst: reg }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('st' as const), size: fc.constantFrom(...SIZES), slot: fc.integer({ min: 1, max: 64 }), src: reg, imm: imm32, x: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('ld' as const), size: fc.constantFrom(...SIZES), slot: fc.integer({ min: 1, max: 64 }), dst: reg, sx: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('atomic' as const), dw: fc.boolean(), op: fc.constantFrom(...ATOMICS), slot: fc.integer({ min: 1, max: 8 }), src: reg }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('jmp' as const), is64: fc.boolean(), op: fc.constantFrom(...JMP_OPS), x: fc.boolean(), dst: reg, src: reg, imm: imm32, skip: fc.integer({ min: 0, max: 6 }) }) },
);

/** Body instructions for one spec (jumps get their offset later). */
function emit(s: Spec): Insn[] {
  switch (s.k) {
    case 'alu': {
      const cls = s.is64 ? 0x07 : 0x04;
      const width = s.is64 ? 64 : 32;
      let imm = s.imm;
      if (s.op === 0x60 || s.op === 0x70 || s.op === 0xc0) imm = ((imm % width) + width) % width; // constant shifts must be < width
      if ((s.op === 0x30 || s.op === 0x90) && imm === 0) imm = 7; // constant division by zero is rejected
      const off = (s.op === 0x30 || s.op === 0x90) && s.signed ? 1 : 0;
      return [s.x ? I(cls | 0x08 | s.op, s.dst, s.src, off) : I(cls | s.op, s.dst, 0, off, imm)];
    }
    case 'neg': return [I((s.is64 ? 0x07 : 0x04) | 0x80, s.dst)];
    case 'movsx': {
      const bits = !s.is64 && s.bits === 32 ? 16 : s.bits;
      return [I((s.is64 ? 0x07 : 0x04) | 0x08 | 0xb0, s.dst, s.src, bits)];
    }
    case 'end': return [I(s.kind, s.dst, 0, 0, s.bits)];
    case 'st': {
      const n = BYTES[s.size]!;
      const off = -(Math.ceil(s.slot / n) * n);
      return [s.x ? I(0x63 | s.size, 10, s.src, Math.max(off, -64)) : I(0x62 | s.size, 10, 0, Math.max(off, -64), s.imm)];
    }
    case 'ld': {
      const n = BYTES[s.size]!;
      const off = Math.max(-(Math.ceil(s.slot / n) * n), -64);
      const sx = s.sx && s.size !== 0x18;
      return [I((sx ? 0x81 : 0x61) | s.size, s.dst, 10, off)];
    }
    case 'atomic': {
      const n = s.dw ? 8 : 4;
      return [I(0xc3 | (s.dw ? 0x18 : 0x00), 10, s.src, -(s.slot * n) - (s.dw ? 0 : 0), s.op)];
    }
    case 'jmp': return [s.x ? I((s.is64 ? 0x05 : 0x06) | 0x08 | s.op, s.dst, s.src, 0) : I((s.is64 ? 0x05 : 0x06) | s.op, s.dst, 0, 0, s.imm)];
  }
}

function build(init: bigint[], specs: Spec[]): Program {
  const insns: Insn[] = [];
  init.forEach((v, r) => insns.push(...ldImm64(r, v)));
  for (let i = 1; i <= 8; i++) insns.push(I(0x7b, 10, (i - 1) % 10, -8 * i)); // initialise the stack slots used: -64..-1
  const body: Insn[][] = specs.map(emit);
  const starts: number[] = [];
  let pc = insns.length;
  for (const b of body) { starts.push(pc); pc += b.length; }
  const epilogue = pc;
  specs.forEach((s, i) => {
    if (s.k === 'jmp') {
      const target = Math.min(starts[i + 1 + s.skip] ?? epilogue, epilogue);
      body[i]![0]!.off = target - (starts[i]! + 1);
    }
    insns.push(...body[i]!);
  });
  // fold every register and stack slot into r0
  for (let r = 1; r <= 9; r++) insns.push(I(0xaf, 0, r));
  for (let i = 1; i <= 8; i++) { insns.push(I(0x79, 1, 10, -8 * i)); insns.push(I(0x27, 0, 0, 0, 0x9e3779b1 | 0)); insns.push(I(0xaf, 0, 1)); }
  insns.push(I(0x95));
  return { name: 'diff', section: '', type: 'socket_filter', insns, maps: [], license: 'GPL' };
}

/** Counterexamples print as kernel-syntax assembly, not as JSON. */
function printable(p: Program): Program {
  return Object.defineProperty(p, fc.toStringMethod, { value: () => `\n${disasmProgram(p)}`, enumerable: false });
}

const programArb = fc.tuple(fc.array(val64, { minLength: 10, maxLength: 10 }), fc.array(spec, { minLength: 1, maxLength: 40 })).map(([init, specs]) => printable(build(init, specs)));

/**
 * K programs in one kernel load (loads dominate the cost): each program's exit becomes a store of
 * its r0 into slot i of the array map `__out`, falling through to the next program, whose
 * prologue re-initialises every register and stack slot (so the verifier prunes across them).
 */
function batch(programs: Program[]): Program {
  const insns: Insn[] = [];
  programs.forEach((p, i) => {
    const body = p.insns.slice(0, -1); // every jump lands at most on the final exit's slot
    insns.push(...body);
    const [a, b] = ldImm64(1, 0n, 2);
    a.imm = 0;
    b.imm = 8 * i;
    insns.push(a, b, I(0x7b, 1, 0, 0));
  });
  insns.push(I(0xb7, 0, 0, 0, 0), I(0x95));
  return { name: 'batch', section: '', type: 'socket_filter', license: 'GPL', insns,
    maps: [{ name: '__out', type: 'array', keySize: 4, valueSize: 8 * programs.length, maxEntries: 1, flags: 0 }] };
}

const BATCH = 50;
const avail = kernelAvailable();
if (!avail.ok) console.log(`skip: differential VM-vs-kernel test needs the kernel: ${avail.reason}`);

describe.skipIf(!avail.ok)('VM agrees with the kernel (BPF_PROG_TEST_RUN)', () => {
  it(`on ${RUNS} random programs`, () => {
    let compared = 0;
    const rejected: string[] = [];
    fc.assert(
      fc.property(fc.array(programArb, { minLength: BATCH, maxLength: BATCH }), (programs) => {
        const k = runInKernel(batch(programs), { data: new Uint8Array(64), logLevel: 0 });
        if (k.load.verdict === 'reject') { rejected.push(k.load.log.trim().split('\n').at(-1) ?? ''); return true; }
        const out = k.maps[0]!.entries[0]![1];
        const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
        programs.forEach((program, i) => {
          const v = new Vm(program).run({ entry: 'mem' });
          compared++;
          expect(v.fault ?? v.error).toBeUndefined();
          expect(`program ${i}: 0x${v.r0.toString(16)}`).toBe(`program ${i}: 0x${dv.getBigUint64(8 * i, true).toString(16)}`);
        });
        return true;
      }),
      { numRuns: Math.ceil(RUNS / BATCH), examples: [] },
    );
    console.log(`differential: ${compared} programs compared, ${rejected.length} batches rejected by the kernel verifier${rejected.length ? ` (e.g. ${rejected[0]})` : ''}`);
    expect(compared).toBeGreaterThanOrEqual(RUNS * 0.98);
  }, 600_000);
});

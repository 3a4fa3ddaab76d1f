/**
 * The JIT against the running kernel (BPF_PROG_TEST_RUN): random verifier-clean programs (every
 * ALU64/ALU32 operator in K and X form with edge values, byte swaps, sign extensions, stack
 * loads/stores incl. sign-extending loads, atomics, load-acquire and store-release on the stack, conditional jumps in 64 and 32
 * bits, bpf-to-bpf calls) run in the kernel and on the JIT in BOTH modes (the kernel's verifier
 * accepted them, so trusted mode is legitimate); r0 must agree. K programs share one kernel load:
 * each stores its r0 into slot i of an array map and falls through to the next.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Jit, JitRuntime } from '../../src/jit/index.js';
import type { JitMode } from '../../src/jit/index.js';
import type { Insn } from '../../src/isa/insn.js';
import { insn, ldImm64 } from '../../src/isa/insn.js';
import * as op from '../../src/isa/opcodes.js';
import type { Program } from '../../src/isa/program.js';
import { kernelAvailable, runInKernel } from '../../src/kernel/index.js';

const RUNS = Number(process.env['BPFLAB_JIT_KERNEL_RUNS'] ?? 2_000);
const K = 50;

const EDGES = [0n, 1n, -1n, 2n, 0x7fffffffn, -0x80000000n, 0x80000000n, 0xffffffffn, 0x100000000n, (1n << 63n) - 1n, -(1n << 63n), 31n, 32n, 63n, 64n, 0xffn, 0x8000n];
const val64 = fc.oneof(fc.constantFrom(...EDGES), fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }));
const imm32 = fc.oneof(fc.constantFrom(0, 1, -1, 0x7fffffff, -0x80000000, 31, 32, 63, 0xff, 0xffff), fc.integer({ min: -0x80000000, max: 0x7fffffff }));
const reg = fc.integer({ min: 0, max: 9 });
const ALU = [op.BPF_ADD, op.BPF_SUB, op.BPF_MUL, op.BPF_DIV, op.BPF_OR, op.BPF_AND, op.BPF_LSH, op.BPF_RSH, op.BPF_MOD, op.BPF_XOR, op.BPF_MOV, op.BPF_ARSH];
const JMP = [op.BPF_JEQ, op.BPF_JGT, op.BPF_JGE, op.BPF_JSET, op.BPF_JNE, op.BPF_JSGT, op.BPF_JSGE, op.BPF_JLT, op.BPF_JLE, op.BPF_JSLT, op.BPF_JSLE];
const SIZES = [op.BPF_B, op.BPF_H, op.BPF_W, op.BPF_DW];
const ATOMICS = [0x00, 0x40, 0x50, 0xa0, 0x01, 0x41, 0x51, 0xa1, 0xe1, 0xf1];

/** One unit: instructions plus, for a conditional jump, how many units to skip forward. */
type Unit = { insns: Insn[]; skip?: number; call?: true };

const aluUnit = (maxReg: number) => fc.record({ is64: fc.boolean(), o: fc.constantFrom(...ALU), x: fc.boolean(), dst: fc.integer({ min: 0, max: maxReg }), src: fc.integer({ min: 0, max: maxReg }), imm: imm32, signed: fc.boolean() })
  .map(({ is64, o, x, dst, src, imm, signed }): Unit => {
    const cls = is64 ? op.BPF_ALU64 : op.BPF_ALU;
    const width = is64 ? 64 : 32;
    let k = imm;
    if (o === op.BPF_LSH || o === op.BPF_RSH || o === op.BPF_ARSH) k = ((k % width) + width) % width; // the verifier refuses constant shifts >= width
    if ((o === op.BPF_DIV || o === op.BPF_MOD) && k === 0) k = 3; // and constant division by zero
    const off = (o === op.BPF_DIV || o === op.BPF_MOD) && signed ? 1 : 0;
    return { insns: [x ? insn(cls | op.BPF_X | o, dst, src, off) : insn(cls | o, dst, 0, off, k)] };
  });

const unit: fc.Arbitrary<Unit> = fc.oneof(
  { weight: 8, arbitrary: aluUnit(9) },
  { weight: 1, arbitrary: fc.tuple(fc.boolean(), reg).map(([is64, d]): Unit => ({ insns: [insn((is64 ? op.BPF_ALU64 : op.BPF_ALU) | op.BPF_NEG, d)] })) },
  { weight: 1, arbitrary: fc.tuple(fc.boolean(), fc.constantFrom(8, 16, 32), reg, reg).map(([is64, bits, d, s]): Unit => ({ insns: [insn((is64 ? op.BPF_ALU64 : op.BPF_ALU) | op.BPF_X | op.BPF_MOV, d, s, is64 ? bits : Math.min(bits, 16))] })) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(0xd4, 0xdc, 0xd7), fc.constantFrom(16, 32, 64), reg).map(([code, w, d]): Unit => ({ insns: [insn(code, d, 0, 0, w)] })) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...SIZES), fc.integer({ min: 1, max: 64 }), reg, imm32, fc.boolean()).map(([sz, slot, s, k, x]): Unit => {
    const n = op.sizeBytes(sz);
    const off = -Math.min(Math.ceil(slot / n) * n, 64);
    return { insns: [x ? insn(op.BPF_STX | op.BPF_MEM | sz, 10, s, off) : insn(op.BPF_ST | op.BPF_MEM | sz, 10, 0, off, k)] };
  }) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...SIZES), fc.integer({ min: 1, max: 64 }), reg, fc.boolean()).map(([sz, slot, d, sx]): Unit => {
    const n = op.sizeBytes(sz);
    const off = -Math.min(Math.ceil(slot / n) * n, 64);
    return { insns: [insn(op.BPF_LDX | (sx && sz !== op.BPF_DW ? op.BPF_MEMSX : op.BPF_MEM) | sz, d, 10, off)] };
  }) },
  // load-acquire / store-release (Linux 6.15), every size, naturally aligned on the stack
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...SIZES), fc.integer({ min: 1, max: 64 }), reg, fc.boolean()).map(([sz, slot, r, load]): Unit => {
    const n = op.sizeBytes(sz);
    const off = -Math.min(Math.ceil(slot / n) * n, 64);
    return { insns: [load ? insn(op.BPF_STX | op.BPF_ATOMIC | sz, r, 10, off, op.BPF_LOAD_ACQ) : insn(op.BPF_STX | op.BPF_ATOMIC | sz, 10, r, off, op.BPF_STORE_REL)] };
  }) },
  { weight: 1, arbitrary: fc.tuple(fc.boolean(), fc.constantFrom(...ATOMICS), fc.integer({ min: 1, max: 8 }), reg).map(([dw, a, slot, s]): Unit => ({ insns: [insn(op.BPF_STX | op.BPF_ATOMIC | (dw ? op.BPF_DW : op.BPF_W), 10, s, -slot * (dw ? 8 : 4), a)] })) },
  { weight: 3, arbitrary: fc.tuple(fc.boolean(), fc.constantFrom(...JMP), fc.boolean(), reg, reg, imm32, fc.integer({ min: 0, max: 5 })).map(([is64, o, x, d, s, k, skip]): Unit => ({
    insns: [x ? insn((is64 ? op.BPF_JMP : op.BPF_JMP32) | op.BPF_X | o, d, s) : insn((is64 ? op.BPF_JMP : op.BPF_JMP32) | o, d, 0, 0, k)], skip,
  })) },
  // bpf-to-bpf call; the verifier makes r1..r5 unreadable afterwards, so they are set again
  { weight: 1, arbitrary: fc.array(imm32, { minLength: 5, maxLength: 5 }).map((ks): Unit => ({
    insns: [insn(op.BPF_JMP | op.BPF_CALL, 0, op.BPF_PSEUDO_CALL), ...ks.map((k, i) => insn(op.BPF_ALU64 | op.BPF_MOV, i + 1, 0, 0, k))], call: true,
  })) },
);

interface Case { init: bigint[]; units: Unit[] }
const caseArb: fc.Arbitrary<Case> = fc.record({ init: fc.array(val64, { minLength: 10, maxLength: 10 }), units: fc.array(unit, { minLength: 1, maxLength: 30 }) });
/** The shared subprogram: r0 = r1, then ALU work on r0..r5 only (r6..r9 are not readable there). */
const subArb = fc.array(aluUnit(5), { minLength: 1, maxLength: 8 });

/** Main body of one case (ends where its r0 is final); calls are fixed up by `link`. */
function body(c: Case): Insn[] {
  const out: Insn[] = [];
  c.init.forEach((v, r) => out.push(...ldImm64(r, v)));
  for (let i = 1; i <= 8; i++) out.push(insn(op.BPF_STX | op.BPF_MEM | op.BPF_DW, 10, i - 1, -8 * i));
  const starts: number[] = [];
  let pc = out.length;
  for (const u of c.units) { starts.push(pc); pc += u.insns.length; }
  const end = pc;
  c.units.forEach((u, i) => {
    const copy = u.insns.map((x) => ({ ...x }));
    if (u.skip !== undefined) copy[0]!.off = Math.min(starts[i + 1 + u.skip] ?? end, end) - (starts[i]! + 1);
    out.push(...copy);
  });
  // fold every register and stack slot into r0
  for (let r = 1; r <= 9; r++) out.push(insn(op.BPF_ALU64 | op.BPF_X | op.BPF_XOR, 0, r));
  for (let i = 1; i <= 8; i++) {
    out.push(insn(op.BPF_LDX | op.BPF_MEM | op.BPF_DW, 1, 10, -8 * i), insn(op.BPF_ALU64 | op.BPF_MUL, 0, 0, 0, 0x9e3779b1 | 0), insn(op.BPF_ALU64 | op.BPF_X | op.BPF_XOR, 0, 1));
  }
  return out;
}

function subBody(sub: Unit[]): Insn[] {
  return [insn(op.BPF_ALU64 | op.BPF_X | op.BPF_MOV, 0, 1), ...sub.flatMap((u) => u.insns), insn(op.BPF_JMP | op.BPF_EXIT)];
}

/** Points every bpf-to-bpf call in `insns` at pc `target`. */
function link(insns: Insn[], target: number): Insn[] {
  insns.forEach((x, pc) => { if (x.code === (op.BPF_JMP | op.BPF_CALL) && x.src === op.BPF_PSEUDO_CALL) x.imm = target - (pc + 1); });
  return insns;
}

function single(c: Case, sub: Unit[]): Program {
  const main = [...body(c), insn(op.BPF_JMP | op.BPF_EXIT)];
  return { name: 'case', section: '', type: 'socket_filter', insns: link([...main, ...subBody(sub)], main.length), maps: [], license: 'GPL' };
}

function batched(cases: Case[], sub: Unit[]): Program {
  const insns: Insn[] = [];
  cases.forEach((c, i) => {
    insns.push(...body(c));
    const [a, b] = ldImm64(1, 0n, op.BPF_PSEUDO_MAP_VALUE);
    a.imm = 0;
    b.imm = 8 * i;
    insns.push(a, b, insn(op.BPF_STX | op.BPF_MEM | op.BPF_DW, 1, 0, 0));
  });
  insns.push(insn(op.BPF_ALU64 | op.BPF_MOV, 0, 0, 0, 0), insn(op.BPF_JMP | op.BPF_EXIT));
  const main = insns.length;
  return { name: 'batch', section: '', type: 'socket_filter', license: 'GPL', insns: link([...insns, ...subBody(sub)], main),
    maps: [{ name: '__out', type: 'array', keySize: 4, valueSize: 8 * cases.length, maxEntries: 1, flags: 0 }] };
}

const avail = kernelAvailable();
if (!avail.ok) console.log(`skip: JIT-vs-kernel differential needs the kernel: ${avail.reason}`);

describe.skipIf(!avail.ok)('JIT agrees with the kernel (BPF_PROG_TEST_RUN)', () => {
  it(`on ${RUNS} random programs, checked and trusted`, () => {
    let compared = 0;
    const rejected: string[] = [];
    fc.assert(
      fc.property(fc.array(caseArb, { minLength: K, maxLength: K }), subArb.map((s) => s.map((u) => u)), (cases, sub) => {
        const k = runInKernel(batched(cases, sub), { data: new Uint8Array(64), logLevel: 0 });
        if (k.load.verdict === 'reject') { rejected.push(k.load.log.trim().split('\n').at(-1) ?? ''); return true; }
        const out = k.maps[0]!.entries[0]![1];
        const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
        const programs = cases.map((c) => single(c, sub));
        for (const mode of ['checked', 'trusted'] as JitMode[]) {
          const runtime = new JitRuntime({ mode, maxSteps: 100_000 });
          runtime.compile(programs);
          programs.forEach((p, i) => {
            const r = new Jit(p, { mode, runtime }).run({ entry: 'mem' });
            expect(r.fault ?? r.error).toBeUndefined();
            expect(`${mode} program ${i}: 0x${r.r0.toString(16)}`).toBe(`${mode} program ${i}: 0x${dv.getBigUint64(8 * i, true).toString(16)}`);
          });
        }
        compared += cases.length;
        return true;
      }),
      { numRuns: Math.ceil(RUNS / K), endOnFailure: true },
    );
    console.log(`JIT vs kernel: ${compared} programs compared in both modes, ${rejected.length} batches rejected by the kernel verifier${rejected.length ? ` (e.g. ${rejected[0]})` : ''}`);
    expect(compared).toBeGreaterThanOrEqual(RUNS * 0.95);
  }, 600_000);
});

/**
 * Proof obligations for the JIT's templates: each eBPF instruction form is emitted by the JIT's own
 * emitters (src/jit: emitAlu, emitCondition, emitLoad, emitStore) into a fresh function body, the
 * bytes are executed symbolically (wasm-sym.ts), and Z3 proves that the result equals the VM's
 * semantics (semantics.ts, RFC 9669), that no other register changes and that the code cannot
 * trap. Register operands are symbolic (all 2^64 values, and dst = src); immediates are baked into
 * the emitted code, so every K form is proven for a set of immediates that covers each special
 * case the emitters distinguish (0, 1, -1, INT_MIN, shift amounts at and beyond the width, ...).
 * Loads and stores are proven here for the stack forms the JIT resolves at compile time: the frame's
 * linear memory (r10 + const) and stack slots promoted to locals (uniform and byte-addressed);
 * jit-memory.ts proves those through pointer registers (the region table and the slow path).
 */
import { emitAlu, type AluLocals } from '../jit/alu.js';
import { emitLdImm64 } from '../jit/codegen.js';
import { emitCondition } from '../jit/jumps.js';
import { emitLoad, emitStore, type MemCtx, type PromotedSlot } from '../jit/memory.js';
import { Code, I32, I64 } from '../jit/wasm/index.js';
import { insn, type Insn } from '../isa/insn.js';
import * as op from '../isa/opcodes.js';
import { STACK_SIZE } from '../runtime/memory.js';
import type { AluOp } from '../verifier/domains/alu.js';
import type { JmpOp } from '../verifier/domains/branch.js';
import type { Obligation } from './obligation.js';
import { semantics } from './semantics.js';
import { WasmSymbolic, type SymValue } from './wasm-sym.js';
import { z3Algebra, type Z3Ctx, type ZB, type ZT } from './z3-algebra.js';

/** The emitters under proof (the mutation test substitutes wrong ones). */
export interface Emitters {
  alu: typeof emitAlu;
  cond: typeof emitCondition;
  load: typeof emitLoad;
  store: typeof emitStore;
  ldImm64: typeof emitLdImm64;
}
export const JIT_EMITTERS: Emitters = { alu: emitAlu, cond: emitCondition, load: emitLoad, store: emitStore, ldImm64: emitLdImm64 };

/** Immediates covering every case the emitters tell apart. */
export const IMMEDIATES = [0, 1, -1, 2, 7, 8, 15, 16, 31, 32, 33, 63, 64, 65, 0x7fffffff, -0x80000000, 0x12345678, -0x1234567] as const;

/** A function body with the JIT's locals: r0..r10 and the scratch locals, with their types. */
export function jitFrame(): { c: Code; L: AluLocals; types: ('i32' | 'i64')[]; m: Omit<MemCtx, 'slots' | 'fpStatic' | 'mode'> } {
  const c = new Code(0);
  const types: ('i32' | 'i64')[] = [];
  const l = (t: typeof I32 | typeof I64): number => { types.push(t === I32 ? 'i32' : 'i64'); return c.local(t); };
  const reg = Array.from({ length: 11 }, () => l(I64));
  const L: AluLocals = { reg, t64: l(I64), u64: l(I64), t32: l(I32), u32: l(I32) };
  const m = { c, reg, t64: L.t64, a64: l(I64), t32: L.t32, e32: l(I32), sb: l(I32), imports: { load: 0, store: 0, atomic: 0 } };
  return { c, L, types, m };
}

interface Run {
  regs: ZT[];
  after: (i: number) => ZT;
  sym: ReturnType<WasmSymbolic['run']>;
  stackTop: () => SymValue | undefined;
}

/** Emits with `emit`, then runs the bytes symbolically from registers r0..r10 (and extra locals). */
function execute(Z: Z3Ctx, emit: (f: ReturnType<typeof jitFrame>) => void, extra: Map<number, SymValue> = new Map(), globals: Map<number, SymValue> = new Map()): Run & { f: ReturnType<typeof jitFrame> } {
  const f = jitFrame();
  emit(f);
  const regs = f.L.reg.map((_, i) => Z.BitVec.const(`r${i}`, 64));
  const locals = new Map<number, SymValue>(f.L.reg.map((l, i) => [l, { type: 'i64', v: regs[i]! }]));
  for (const [k, v] of extra) locals.set(k, v);
  const ws = new WasmSymbolic(Z, new Map(), globals);
  const s = ws.run(f.c.w.view(), ws.state(locals), (i) => f.types[i]!);
  return { f, regs, sym: s, after: (i) => s.locals.get(f.L.reg[i]!)!.v, stackTop: () => s.stack[s.stack.length - 1] };
}

/** Negated goals: registers other than `dst` unchanged, dst as expected, no trap. */
function aluGoals(Z: Z3Ctx, r: Run, dst: number, expected: ZT): ZB[] {
  const frameOk = Z.And(...r.regs.map((x, i) => (i === dst ? Z.Bool.val(true) : r.after(i).eq(x))));
  return [Z.Not(r.after(dst).eq(expected)), Z.Not(frameOk), r.sym.trap];
}

const ALU_CODES: Record<string, { code: number; off?: number; sem: AluOp | 'mov' | 'neg' }> = {
  add: { code: op.BPF_ADD, sem: 'add' }, sub: { code: op.BPF_SUB, sem: 'sub' }, mul: { code: op.BPF_MUL, sem: 'mul' },
  div: { code: op.BPF_DIV, sem: 'div' }, sdiv: { code: op.BPF_DIV, off: 1, sem: 'sdiv' }, or: { code: op.BPF_OR, sem: 'or' },
  and: { code: op.BPF_AND, sem: 'and' }, lsh: { code: op.BPF_LSH, sem: 'lsh' }, rsh: { code: op.BPF_RSH, sem: 'rsh' },
  mod: { code: op.BPF_MOD, sem: 'mod' }, smod: { code: op.BPF_MOD, off: 1, sem: 'smod' }, xor: { code: op.BPF_XOR, sem: 'xor' },
  arsh: { code: op.BPF_ARSH, sem: 'arsh' }, mov: { code: op.BPF_MOV, sem: 'mov' }, neg: { code: op.BPF_NEG, sem: 'neg' },
};

/** ALU/ALU64 op in X form (dst != src and dst = src) and K form (every immediate). */
function aluTemplate(name: string, alu32: boolean, E: Emitters): Obligation {
  const spec = ALU_CODES[name]!;
  const cls = alu32 ? op.BPF_ALU : op.BPF_ALU64;
  return jitObligation(`jit.alu${alu32 ? 32 : 64}.${name}`, (Z) => {
    const sem = semantics(z3Algebra(Z), 64);
    const expect = (x: ZT, y: ZT): ZT => spec.sem === 'mov' ? (alu32 ? sem.mov32(y) : y) : spec.sem === 'neg' ? sem.neg(alu32, x) : sem.alu(spec.sem, alu32, x, y);
    const goals: ZB[] = [];
    const forms: Array<{ ins: Insn; y: (r: ZT[]) => ZT }> = [];
    if (spec.sem !== 'neg') {
      forms.push({ ins: insn(cls | op.BPF_X | spec.code, 1, 2, spec.off ?? 0), y: (r) => r[2]! });
      forms.push({ ins: insn(cls | op.BPF_X | spec.code, 3, 3, spec.off ?? 0), y: (r) => r[3]! });
      for (const k of IMMEDIATES) forms.push({ ins: insn(cls | op.BPF_K | spec.code, 1, 0, spec.off ?? 0, k), y: () => Z.BitVec.val(BigInt.asUintN(64, BigInt(k)), 64) });
    } else forms.push({ ins: insn(cls | op.BPF_K | spec.code, 4, 0), y: (r) => r[0]! });
    const divides = ['div', 'sdiv', 'mod', 'smod'].includes(spec.sem);
    for (const { ins, y } of forms) {
      const r = execute(Z, (f) => E.alu(f.c, ins, f.L));
      const [value, ...rest] = aluGoals(Z, r, ins.dst, expect(r.regs[ins.dst]!, y(r.regs)));
      if (!divides || op.srcBit(ins.code) !== op.BPF_X) { goals.push(value!, ...rest); continue; }
      // A register divisor, split by the cases the emitter tells apart (0, -1, any other: a
      // partition, so the union is the whole statement): a symbolic divisor makes Z3 bit-blast
      // the VM's 64-bit divider to show sdiv(x, -1) = -x; with the case fixed it is a constant
      // (jit.alu64.sdiv: 8.7 s of solver CPU for the dst != src form alone).
      const d = y(r.regs);
      const w = alu32 ? d.extract(31, 0) : d;
      const zero = w.eq(Z.BitVec.val(0, w.size())), minus1 = w.eq(Z.BitVec.val(-1n & ((1n << BigInt(w.size())) - 1n), w.size()));
      for (const c of [zero, Z.And(Z.Not(zero), minus1), Z.And(Z.Not(zero), Z.Not(minus1))]) goals.push(Z.And(c, value!));
      goals.push(...rest);
    }
    return goals;
  });
}

/** MOVSX: r = (sN) r and w = (sN) w. */
function movsxTemplate(bits: 8 | 16 | 32, alu32: boolean, E: Emitters): Obligation {
  return jitObligation(`jit.movsx${alu32 ? 32 : 64}.s${bits}`, (Z) => {
    const sem = semantics(z3Algebra(Z), 64);
    const goals: ZB[] = [];
    for (const [dst, src] of [[1, 2], [5, 5]] as const) {
      const ins = insn((alu32 ? op.BPF_ALU : op.BPF_ALU64) | op.BPF_X | op.BPF_MOV, dst, src, bits);
      const r = execute(Z, (f) => E.alu(f.c, ins, f.L));
      goals.push(...aluGoals(Z, r, dst, sem.movsx(r.regs[src]!, bits, alu32)));
    }
    return goals;
  });
}

/** BPF_END: le/be (ALU) and bswap (ALU64) at 16/32/64. */
function endTemplate(kind: 'le' | 'be' | 'bswap', bits: 16 | 32 | 64, E: Emitters): Obligation {
  return jitObligation(`jit.end.${kind}${bits}`, (Z) => {
    const sem = semantics(z3Algebra(Z), 64);
    const code = kind === 'bswap' ? op.BPF_ALU64 | op.BPF_END | op.BPF_TO_LE : op.BPF_ALU | op.BPF_END | (kind === 'be' ? op.BPF_TO_BE : op.BPF_TO_LE);
    const ins = insn(code, 6, 0, 0, bits);
    const r = execute(Z, (f) => E.alu(f.c, ins, f.L));
    return aluGoals(Z, r, 6, sem.end(r.regs[6]!, bits, kind));
  });
}

const JMP_CODES: Record<JmpOp, number> = {
  jeq: op.BPF_JEQ, jne: op.BPF_JNE, jset: op.BPF_JSET, jgt: op.BPF_JGT, jge: op.BPF_JGE, jlt: op.BPF_JLT, jle: op.BPF_JLE,
  jsgt: op.BPF_JSGT, jsge: op.BPF_JSGE, jslt: op.BPF_JSLT, jsle: op.BPF_JSLE,
};

/** JMP/JMP32 conditions: the pushed i32 is non-zero exactly when the VM takes the jump. */
function condTemplate(o: JmpOp, jmp32: boolean, E: Emitters): Obligation {
  return jitObligation(`jit.${o}${jmp32 ? '32' : ''}`, (Z) => {
    const sem = semantics(z3Algebra(Z), 64);
    const cls = jmp32 ? op.BPF_JMP32 : op.BPF_JMP;
    const goals: ZB[] = [];
    const forms: Array<{ ins: Insn; y: (r: ZT[]) => ZT }> = [
      { ins: insn(cls | op.BPF_X | JMP_CODES[o], 1, 2), y: (r) => r[2]! },
      { ins: insn(cls | op.BPF_X | JMP_CODES[o], 7, 7), y: (r) => r[7]! },
      ...IMMEDIATES.map((k) => ({ ins: insn(cls | op.BPF_K | JMP_CODES[o], 1, 0, 0, k), y: () => Z.BitVec.val(BigInt.asUintN(64, BigInt(k)), 64) })),
    ];
    for (const { ins, y } of forms) {
      const r = execute(Z, (f) => E.cond(f.c, ins, f.L.reg));
      const top = r.stackTop();
      if (!top || top.type !== 'i32' || r.sym.stack.length !== 1) throw new Error(`${ins.code}: the condition must leave one i32`);
      const taken = Z.Not(top.v.eq(Z.BitVec.val(0, 32)));
      goals.push(Z.Not(taken.eq(sem.cond(o, jmp32, r.regs[ins.dst]!, y(r.regs)))), r.sym.trap);
    }
    return goals;
  });
}

export const SIZES: Record<number, number> = { 1: op.BPF_B, 2: op.BPF_H, 4: op.BPF_W, 8: op.BPF_DW };

/** Little-endian value of `size` bytes of array `mem` at addr, zero- or sign-extended to 64 bits. */
function memValue(Z: Z3Ctx, mem: ReturnType<WasmSymbolic['state']>['mem'], addr: ZT, size: number, signed: boolean): ZT {
  const parts: ZT[] = [];
  for (let i = size - 1; i >= 0; i--) parts.push(mem.select(addr.add(Z.BitVec.val(i, 32))) as unknown as ZT);
  const v = parts.length === 1 ? parts[0]! : (Z.Concat(...parts) as ZT);
  return size === 8 ? v : signed ? v.signExt(64 - 8 * size) : v.zeroExt(64 - 8 * size);
}

/** Stack loads and stores through r10 + off resolved to the frame's linear memory. */
function frameMemTemplate(kind: 'ldx' | 'ldsx' | 'stx' | 'st', size: 1 | 2 | 4 | 8, E: Emitters): Obligation {
  return jitObligation(`jit.${kind}${size * 8}.frame`, (Z) => {
    const goals: ZB[] = [];
    for (const off of [-size, -8 * size, -STACK_SIZE]) {
      const ins = kind === 'ldx' || kind === 'ldsx'
        ? insn(op.BPF_LDX | (kind === 'ldsx' ? op.BPF_MEMSX : op.BPF_MEM) | SIZES[size]!, 3, 10, off)
        : kind === 'stx' ? insn(op.BPF_STX | op.BPF_MEM | SIZES[size]!, 10, 4, off) : insn(op.BPF_ST | op.BPF_MEM | SIZES[size]!, 10, 0, off, -0x1234567);
      const sb = Z.BitVec.const('sb', 32);
      const r2 = execute(Z, (f) => {
        const m: MemCtx = { ...f.m, mode: 'trusted', fpStatic: true, slots: new Map() };
        if (kind === 'ldx' || kind === 'ldsx') E.load(m, ins, 0); else E.store(m, ins, 0);
      }, new Map([[jitFrame().m.sb, { type: 'i32', v: sb }]]));
      const mem0 = Z.Array.const('mem', Z.BitVec.sort(32), Z.BitVec.sort(8));
      const addr = sb.add(Z.BitVec.val(BigInt.asUintN(32, BigInt(STACK_SIZE + off)), 32));
      if (kind === 'ldx' || kind === 'ldsx') {
        goals.push(...aluGoals(Z, r2, 3, memValue(Z, mem0, addr, size, kind === 'ldsx')));
      } else {
        const v = kind === 'stx' ? r2.regs[4]! : Z.BitVec.val(BigInt.asUintN(64, -0x1234567n), 64);
        const p = Z.BitVec.const('p', 32);
        const k = p.sub(addr);
        const byte = v.lshr(k.zeroExt(32).mul(Z.BitVec.val(8, 64))).extract(7, 0);
        const want = Z.If(k.ult(Z.BitVec.val(size, 32)), byte, mem0.select(p) as unknown as ZT);
        goals.push(Z.Not((r2.sym.mem.select(p) as unknown as ZT).eq(want as ZT)), Z.Not(Z.And(...r2.regs.map((x, i) => r2.after(i).eq(x)))), r2.sym.trap);
      }
    }
    return goals;
  });
}

/**
 * Stack slots promoted to i64 locals. A byte-addressed slot holds the slot's 8 bytes (little-endian);
 * a uniform slot holds its one field zero-extended. Loads give the field (zero/sign-extended),
 * stores replace exactly the field's bytes.
 */
function slotTemplate(kind: 'load' | 'loads' | 'store', size: 1 | 2 | 4 | 8, uniform: boolean, E: Emitters): Obligation {
  return jitObligation(`jit.slot.${kind}${size * 8}${uniform ? '.uniform' : ''}`, (Z) => {
    const goals: ZB[] = [];
    const positions = uniform ? [0] : Array.from({ length: 8 / size }, (_, i) => i * size);
    for (const pos of positions) {
      const off = -16 + pos;
      const ins = kind === 'store' ? insn(op.BPF_STX | op.BPF_MEM | SIZES[size]!, 10, 4, off)
        : insn(op.BPF_LDX | (kind === 'loads' ? op.BPF_MEMSX : op.BPF_MEM) | SIZES[size]!, 3, 10, off);
      const S: ZT = Z.BitVec.const('slot', 64);
      let slotLocal = -1;
      const emit = (f: ReturnType<typeof jitFrame>): void => {
        slotLocal = f.c.local(I64);
        f.types.push('i64');
        const p: PromotedSlot = { local: slotLocal, uniform: uniform ? { shift: 0, size } : null };
        const m: MemCtx = { ...f.m, mode: 'trusted', fpStatic: true, slots: new Map([[(STACK_SIZE + off) >> 3, p]]) };
        if (kind === 'store') E.store(m, ins, 0); else E.load(m, ins, 0);
      };
      const probe = jitFrame();
      const local = probe.c.local(I64); // the slot's local index in a fresh frame
      const r = execute(Z, emit, new Map([[local, { type: 'i64', v: S }]]));
      if (slotLocal !== local) throw new Error('slot local index mismatch');
      const bits = 8 * size;
      const fieldMask = Z.BitVec.val((1n << BigInt(bits)) - 1n, 64);
      const shift = Z.BitVec.val(uniform ? 0 : 8 * pos, 64);
      const premise = uniform ? S.ule(fieldMask) : Z.Bool.val(true);
      if (kind === 'store') {
        const v = r.regs[4]!;
        const want = size === 8 ? v : S.and(fieldMask.shl(shift).not()).or(v.and(fieldMask).shl(shift));
        const after = r.sym.locals.get(local)!.v;
        goals.push(Z.And(premise, Z.Not(after.eq(want))), Z.And(premise, Z.Not(Z.And(...r.regs.map((x, i) => r.after(i).eq(x))))), r.sym.trap);
      } else {
        const field = size === 8 ? S : S.lshr(shift).extract(bits - 1, 0);
        const want = size === 8 ? S : kind === 'loads' ? field.signExt(64 - bits) : field.zeroExt(64 - bits);
        goals.push(...aluGoals(Z, r, 3, want).map((g) => Z.And(premise, g)));
      }
    }
    return goals;
  });
}

/**
 * ld_imm64: dst = the pair's 64-bit constant (next.imm << 32 | (u32)imm), or for a pseudo form
 * (map fd, map value, BTF id, function) the run's value, which the runtime writes into the
 * template's global before each run from the prepared run both engines share (vm.ts).
 */
function ldImm64Template(pseudo: boolean, E: Emitters): Obligation {
  return jitObligation(`jit.ld_imm64${pseudo ? '.pseudo' : ''}`, (Z) => {
    const goals: ZB[] = [];
    const G = 3;
    const value: ZT = Z.BitVec.const('run_value', 64);
    const pairs: Array<[number, number, number]> = pseudo
      ? [[op.BPF_PSEUDO_MAP_FD, 7, 0], [op.BPF_PSEUDO_MAP_VALUE, 7, 16], [op.BPF_PSEUDO_BTF_ID, 9, 0], [op.BPF_PSEUDO_FUNC, 4, 0]]
      : [[0, 0, 0], [0, -1, 0], [0, 0, -1], [0, 0x12345678, -0x1234567], [0, -0x80000000, 0x7fffffff], [0, 1, -0x80000000]];
    for (const [src, lo, hi] of pairs) {
      const ins = insn(op.BPF_LD_IMM64, 5, src, 0, lo);
      const r = execute(Z, (f) => E.ldImm64(f.c, ins, insn(0, 0, 0, 0, hi), pseudo ? G : undefined, f.L.reg), new Map(), new Map([[G, { type: 'i64', v: value }]]));
      const want = pseudo ? value : Z.BitVec.val((BigInt.asUintN(32, BigInt(hi)) << 32n) | BigInt.asUintN(32, BigInt(lo)), 64);
      goals.push(...aluGoals(Z, r, 5, want));
    }
    return goals;
  });
}

export function jitObligation(name: string, goals: (Z: Z3Ctx) => ZB[]): Obligation {
  return {
    name, group: 'jit', abstract: 0, concrete: 0, fixedWidth: 64,
    build(k) { return { premise: k.A.tt, conclusion: [], outputs: {} }; },
    lemma: goals,
  };
}

/** Every JIT template obligation, with the JIT's emitters or substituted ones. */
export function jitObligations(E: Partial<Emitters> = {}): Obligation[] {
  const e: Emitters = { ...JIT_EMITTERS, ...E };
  const out: Obligation[] = [];
  for (const alu32 of [false, true]) for (const name of Object.keys(ALU_CODES)) out.push(aluTemplate(name, alu32, e));
  for (const b of [8, 16, 32] as const) out.push(movsxTemplate(b, false, e));
  for (const b of [8, 16] as const) out.push(movsxTemplate(b, true, e));
  for (const kind of ['le', 'be', 'bswap'] as const) for (const b of [16, 32, 64] as const) out.push(endTemplate(kind, b, e));
  for (const jmp32 of [false, true]) for (const o of Object.keys(JMP_CODES) as JmpOp[]) out.push(condTemplate(o, jmp32, e));
  out.push(ldImm64Template(false, e), ldImm64Template(true, e));
  for (const s of [1, 2, 4, 8] as const) out.push(frameMemTemplate('ldx', s, e));
  for (const s of [1, 2, 4] as const) out.push(frameMemTemplate('ldsx', s, e));
  for (const s of [1, 2, 4, 8] as const) out.push(frameMemTemplate('stx', s, e), frameMemTemplate('st', s, e));
  for (const uniform of [false, true]) for (const s of [1, 2, 4, 8] as const) {
    if (uniform && s === 8) continue; // an 8-byte field is the whole slot: same code as byte-addressed
    out.push(slotTemplate('load', s, uniform, e), slotTemplate('store', s, uniform, e));
    if (s < 8) out.push(slotTemplate('loads', s, uniform, e));
  }
  return out;
}

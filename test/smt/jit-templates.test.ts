/**
 * The JIT's templates against the VM's semantics: a mutation check (wrong templates substituted
 * for the JIT's emitters are refuted by Z3, and the same obligations prove with the real
 * emitters), and a check of the symbolic WebAssembly model itself: the emitted templates, run by
 * V8 on random registers, give what the symbolic execution says.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emitAlu, type AluLocals } from '../../src/jit/alu.js';
import { emitLdImm64 } from '../../src/jit/codegen.js';
import { emitCondition } from '../../src/jit/jumps.js';
import { emitLoad, emitStore, type MemCtx } from '../../src/jit/memory.js';
import { I64, ModuleBuilder, Op, type Code } from '../../src/jit/wasm/index.js';
import { insn, type Insn } from '../../src/isa/insn.js';
import * as op from '../../src/isa/opcodes.js';
import { jitObligations, loadZ3, proveAt, type Emitters, type Z3Handle } from '../../src/smt/index.js';
import { WasmSymbolic } from '../../src/smt/wasm-sym.js';

let z: Z3Handle;
beforeAll(async () => { z = await loadZ3(); });
afterAll(async () => { await z.close(); });

const is = (ins: Insn, cls: number, o: number, src: number): boolean =>
  op.cls(ins.code) === cls && op.aluOp(ins.code) === o && op.srcBit(ins.code) === src;

interface Mutant { name: string; obligation: string; emitters: Partial<Emitters> }

const MUTANTS: Mutant[] = [
  {
    name: 'alu32 add on the whole registers (missing zero-extension)',
    obligation: 'jit.alu32.add',
    emitters: { alu: (c, ins, L) => (is(ins, op.BPF_ALU, op.BPF_ADD, op.BPF_X) ? void c.get(L.reg[ins.dst]!).get(L.reg[ins.src]!).op(Op.i64_add).set(L.reg[ins.dst]!) : emitAlu(c, ins, L)) },
  },
  {
    name: 'alu32 lsh by register shifted as i64 (shift count masked with 63, not 31)',
    obligation: 'jit.alu32.lsh',
    emitters: {
      alu: (c, ins, L) => (is(ins, op.BPF_ALU, op.BPF_LSH, op.BPF_X)
        ? void c.get(L.reg[ins.dst]!).get(L.reg[ins.src]!).op(Op.i64_shl).op(Op.i32_wrap_i64).op(Op.i64_extend_i32_u).set(L.reg[ins.dst]!)
        : emitAlu(c, ins, L)),
    },
  },
  {
    name: 'alu64 arsh by immediate with the amount masked to 5 bits',
    obligation: 'jit.alu64.arsh',
    emitters: { alu: (c, ins, L) => (is(ins, op.BPF_ALU64, op.BPF_ARSH, op.BPF_K) ? void c.get(L.reg[ins.dst]!).i64s(ins.imm & 31).op(Op.i64_shr_s).set(L.reg[ins.dst]!) : emitAlu(c, ins, L)) },
  },
  {
    name: 'alu32 mov of a register sign-extended',
    obligation: 'jit.alu32.mov',
    emitters: { alu: (c, ins, L) => (is(ins, op.BPF_ALU, op.BPF_MOV, op.BPF_X) && ins.off === 0 ? void c.get(L.reg[ins.src]!).op(Op.i32_wrap_i64).op(Op.i64_extend_i32_s).set(L.reg[ins.dst]!) : emitAlu(c, ins, L)) },
  },
  {
    name: 'div by register without the zero-divisor case (traps)',
    obligation: 'jit.alu64.div',
    emitters: { alu: (c, ins, L) => (is(ins, op.BPF_ALU64, op.BPF_DIV, op.BPF_X) ? void c.get(L.reg[ins.dst]!).get(L.reg[ins.src]!).op(Op.i64_div_u).set(L.reg[ins.dst]!) : emitAlu(c, ins, L)) },
  },
  {
    name: 'jsgt32 compared unsigned',
    obligation: 'jit.jsgt32',
    emitters: { cond: (c, ins, reg) => (op.cls(ins.code) === op.BPF_JMP32 && op.jmpOp(ins.code) === op.BPF_JSGT ? void emitCondition(c, { ...ins, code: (ins.code & ~0xf0) | op.BPF_JGT }, reg) : emitCondition(c, ins, reg)) },
  },
  {
    name: 'ldsx16 through a zero-extending load',
    obligation: 'jit.ldsx16.frame',
    emitters: { load: (m, ins, pc) => emitLoad(m, op.mode(ins.code) === op.BPF_MEMSX ? { ...ins, code: (ins.code & ~0xe0) | op.BPF_MEM } : ins, pc) },
  },
  {
    name: 'ld_imm64 of a map compiled as its immediate (the fd), not the run\'s value',
    obligation: 'jit.ld_imm64.pseudo',
    emitters: { ldImm64: (c, ins, next, _g, reg) => emitLdImm64(c, ins, next, undefined, reg) },
  },
  {
    name: 'byte-addressed slot store that does not clear the old bytes',
    obligation: 'jit.slot.store16',
    emitters: {
      store: (m, ins, pc) => {
        const slot = m.slots.get((512 + ins.off) >> 3);
        if (!slot || slot.uniform) return emitStore(m, ins, pc);
        const shift = BigInt(8 * ((512 + ins.off) & 7));
        m.c.get(slot.local).get(m.reg[ins.src]!).i64(0xffffn).op(Op.i64_and).i64(shift).op(Op.i64_shl).op(Op.i64_or).set(slot.local);
      },
    },
  },
];

describe('JIT templates: mutation check', () => {
  for (const mu of MUTANTS) {
    it(mu.name, async () => {
      const bad = jitObligations(mu.emitters).find((o) => o.name === mu.obligation)!;
      const good = jitObligations().find((o) => o.name === mu.obligation)!;
      const r = await proveAt(z, bad, 64, 60_000);
      expect(r.verdict).toBe('failed');
      expect(r.model).toMatch(/define-fun/);
      expect((await proveAt(z, good, 64, 60_000)).verdict).toBe('proved');
    });
  }
});

/** A real wasm function (r0..r10 as parameters) around one template; returns dst or the condition. */
function realTemplate(emit: (c: Code, L: AluLocals) => void, result: (c: Code, L: AluLocals) => void): (regs: bigint[]) => bigint {
  const mb = new ModuleBuilder();
  const f = mb.func(Array(11).fill(I64), [I64]);
  const c = f.code;
  const L: AluLocals = { reg: Array.from({ length: 11 }, (_, i) => i), t64: c.local(I64), u64: c.local(I64), t32: c.local(0x7f), u32: c.local(0x7f) };
  emit(c, L);
  result(c, L);
  mb.exportFunc('t', f.index);
  const inst = new WebAssembly.Instance(new WebAssembly.Module(mb.encode()));
  const fn = inst.exports['t'] as (...a: bigint[]) => bigint;
  return (regs) => BigInt.asUintN(64, fn(...regs.map((v) => BigInt.asIntN(64, v))));
}

describe('the symbolic WebAssembly model agrees with V8', () => {
  it('on ALU, byte-swap and jump templates with random registers', async () => {
    const Z = z.ctx;
    let seed = 12345;
    const rnd = (): bigint => {
      let v = 0n;
      for (let i = 0; i < 4; i++) { seed = (seed * 1103515245 + 12345) & 0x7fffffff; v = (v << 16n) | BigInt(seed & 0xffff); }
      const pick = seed % 5;
      return pick === 0 ? 0n : pick === 1 ? BigInt.asUintN(64, -1n) : pick === 2 ? v & 0xffn : v;
    };
    const forms: Insn[] = [];
    for (const cls of [op.BPF_ALU64, op.BPF_ALU]) for (const o of [op.BPF_ADD, op.BPF_SUB, op.BPF_MUL, op.BPF_DIV, op.BPF_MOD, op.BPF_LSH, op.BPF_RSH, op.BPF_ARSH, op.BPF_XOR]) {
      forms.push(insn(cls | op.BPF_X | o, 1, 2), insn(cls | op.BPF_K | o, 1, 0, 0, -7));
      if (o === op.BPF_DIV || o === op.BPF_MOD) forms.push(insn(cls | op.BPF_X | o, 1, 2, 1));
    }
    for (const b of [16, 32, 64]) forms.push(insn(op.BPF_ALU | op.BPF_END | op.BPF_TO_BE, 1, 0, 0, b), insn(op.BPF_ALU64 | op.BPF_END, 1, 0, 0, b));
    const conds = [op.BPF_JSGT, op.BPF_JLE, op.BPF_JSET].flatMap((o) => [insn(op.BPF_JMP | op.BPF_X | o, 1, 2), insn(op.BPF_JMP32 | op.BPF_X | o, 1, 2)]);
    const mismatches: string[] = [];
    for (const ins of [...forms, ...conds]) {
      const isCond = conds.includes(ins);
      const real = realTemplate(
        (c, L) => (isCond ? emitCondition(c, ins, L.reg) : emitAlu(c, ins, L)),
        (c, L) => { if (isCond) c.op(Op.i64_extend_i32_u); else c.get(L.reg[ins.dst]!); },
      );
      // The same template in the symbolic model.
      const types = [...Array(11).fill('i64'), 'i64', 'i64', 'i32', 'i32'] as ('i32' | 'i64')[];
      const code = (() => {
        const mb = new ModuleBuilder();
        const f = mb.func(Array(11).fill(I64), [I64]);
        const L: AluLocals = { reg: Array.from({ length: 11 }, (_, i) => i), t64: f.code.local(I64), u64: f.code.local(I64), t32: f.code.local(0x7f), u32: f.code.local(0x7f) };
        if (isCond) emitCondition(f.code, ins, L.reg); else emitAlu(f.code, ins, L);
        return f.code.w.view();
      })();
      const regs = Array.from({ length: 11 }, (_, i) => Z.BitVec.const(`r${i}`, 64));
      const ws = new WasmSymbolic(Z);
      const s = ws.run(code, ws.state(new Map(regs.map((v, i) => [i, { type: 'i64' as const, v }]))), (i) => types[i]!);
      const term = isCond ? s.stack[0]!.v.zeroExt(32) : s.locals.get(ins.dst)!.v;
      for (let t = 0; t < 12; t++) {
        const vals = Array.from({ length: 11 }, rnd);
        const got = real(vals);
        const sub = Z.substitute(term, ...regs.map((r, i) => [r, Z.BitVec.val(vals[i]!, 64)] as [typeof r, typeof r]));
        const v = await Z.simplify(sub);
        const want = Z.isBitVecVal(v) ? v.value() : undefined;
        if (want !== got) mismatches.push(`${ins.code.toString(16)} on ${vals[1]}, ${vals[2]}: V8 ${got}, model ${want}`);
      }
    }
    expect(mismatches).toEqual([]);
  });
});

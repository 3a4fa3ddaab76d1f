/**
 * The control flow between the JIT's templates beyond the proof table's shapes (jit-control.ts):
 * the structured layout (or dispatch loop) of every subprogram of random programs, drawn by the
 * differential tests' generator (unverified code: any jumps, loops, irreducible graphs, runs off a
 * subprogram's end), is proven to enter, after each block, the block of the instruction the VM
 * executes next. Also: the symbolic model's loop, br_table and return agree with V8.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCfg } from '../../src/jit/cfg.js';
import { InputError } from '../../src/isa/errors.js';
import { I32, I64, ModuleBuilder, Op, type Code } from '../../src/jit/wasm/index.js';
import { loadZ3, proveAt, type Z3Handle } from '../../src/smt/index.js';
import { WasmSymbolic } from '../../src/smt/wasm-sym.js';
import { layoutGoals } from '../../src/smt/jit-control.js';
import { jitObligation } from '../../src/smt/jit-templates.js';
import { programArb } from '../jit/gen.js';

let z: Z3Handle;
beforeAll(async () => { z = await loadZ3(); });
afterAll(async () => { await z.close(); });

describe('the JIT lays out control flow as the VM runs it', () => {
  it('every subprogram of 120 random programs (structured and dispatch layouts)', async () => {
    const kinds = { structured: 0, dispatch: 0 };
    const failures: string[] = [];
    for (const [i, insns] of fc.sample(programArb, { seed: 16, numRuns: 120 }).entries()) {
      let subprogs: number;
      try { subprogs = buildCfg(insns).subprogs.length; } catch (e) { if (e instanceof InputError) continue; throw e; } // the JIT refuses it, as the VM's link check does
      for (let k = 0; k < subprogs; k++) {
        const r = await proveAt(z, jitObligation(`layout ${i}.${k}`, (Z) => { const g = layoutGoals(Z, insns, k); kinds[g.kind]++; return g.goals; }), 64, 60_000);
        if (r.verdict !== 'proved') failures.push(`program ${i} subprogram ${k}: ${r.verdict} ${r.error ?? r.model ?? ''}`);
      }
    }
    expect(failures).toEqual([]);
    expect(kinds.structured).toBeGreaterThan(100);
  }, 300_000);
});

/** (a, b) -> i64 through a counted loop, a br_table over three blocks and an early return. */
function controlBody(c: Code): void {
  const i = c.local(I32), acc = c.local(I64);
  c.get(0).op(Op.i32_wrap_i64).i32(3).op(Op.i32_and).set(i);
  c.get(1).set(acc);
  c.block().loop();
  c.get(i).op(Op.i32_eqz).brIf(1);
  c.get(acc).i64s(3).op(Op.i64_mul).i64s(1).op(Op.i64_add).set(acc);
  c.get(i).i32(1).op(Op.i32_sub).set(i);
  c.br(0).end().end();
  c.block().block().block();
  c.get(0).i64s(8).op(Op.i64_shr_u).op(Op.i32_wrap_i64).i32(3).op(Op.i32_and).brTable([0, 1], 2);
  c.end();
  c.get(acc).i64s(100).op(Op.i64_add).set(acc).br(1);
  c.end();
  c.get(acc).i64s(0xff).op(Op.i64_xor).set(acc);
  c.end();
  c.get(0).i64s(32).op(Op.i64_and).op(Op.i64_eqz).op(Op.i32_eqz).if_();
  c.get(acc).i64s(7).op(Op.i64_sub).op(Op.return_);
  c.end();
  c.get(acc);
}

describe('the symbolic WebAssembly model agrees with V8', () => {
  it('on loop, br_table and return', async () => {
    const Z = z.ctx;
    const mb = new ModuleBuilder();
    const f = mb.func([I64, I64], [I64]);
    controlBody(f.code);
    mb.exportFunc('t', f.index);
    const real = new WebAssembly.Instance(new WebAssembly.Module(mb.encode())).exports['t'] as (a: bigint, b: bigint) => bigint;
    const body = new ModuleBuilder().func([I64, I64], [I64]).code;
    controlBody(body);
    const a = Z.BitVec.const('a', 64), b = Z.BitVec.const('b', 64);
    const ws = new WasmSymbolic(Z, { loopBound: 5 });
    const s = ws.run(body.w.view(), ws.state(new Map([[0, { type: 'i64', v: a }], [1, { type: 'i64', v: b }]])), (k) => (k === 2 ? 'i32' : 'i64'));
    const ret = ws.exits[0]!;
    const term = Z.If(ret.guard, ret.values[ret.values.length - 1]!.v, s.stack[s.stack.length - 1]!.v);
    // no path loops more than the bound (the counter is at most 3)
    const solver = new Z.Solver();
    solver.add(ws.cut);
    expect(await solver.check()).toBe('unsat');
    const mismatches: string[] = [];
    let seed = 99;
    const rnd = (): bigint => { let v = 0n; for (let k = 0; k < 4; k++) { seed = (seed * 1103515245 + 12345) & 0x7fffffff; v = (v << 16n) | BigInt(seed & 0xffff); } return v; };
    for (let t = 0; t < 40; t++) {
      const x = rnd(), y = rnd();
      const got = BigInt.asUintN(64, real(BigInt.asIntN(64, x), BigInt.asIntN(64, y)));
      const v = await Z.simplify(Z.substitute(term, [a, Z.BitVec.val(x, 64)], [b, Z.BitVec.val(y, 64)]));
      const want = Z.isBitVecVal(v) ? v.value() : undefined;
      if (want !== got) mismatches.push(`${x}, ${y}: V8 ${got}, model ${want}`);
    }
    expect(mismatches).toEqual([]);
  });
});

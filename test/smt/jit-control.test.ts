/**
 * The control flow between the JIT's templates beyond the proof table's shapes (jit-control.ts):
 * the structured layout (or dispatch loop) of every subprogram of random programs, drawn by the
 * differential tests' generator (unverified code: any jumps, loops, irreducible graphs, runs off a
 * subprogram's end), is proven to enter, after each block, the block of the instruction the VM
 * executes next.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCfg } from '../../src/jit/cfg.js';
import { InputError } from '../../src/isa/errors.js';
import { loadZ3, proveAt, type Z3Handle } from '../../src/smt/index.js';
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

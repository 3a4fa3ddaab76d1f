/**
 * The mutation check of the JIT's templates, shared by its tests: a planted code-generation bug
 * (src/jit/planted.ts) is refuted by Z3 on an obligation, the model's counterexample is replayed
 * on the engines (the planted JIT departs from the VM there, the real JIT agrees), and the
 * obligation proves again without the bug.
 */
import { expect } from 'vitest';
import { plantedJitBugs } from '../../src/jit/planted.js';
import { proveAt, type Obligation, type Z3Handle } from '../../src/smt/index.js';

export type PlantedBug = keyof typeof plantedJitBugs;

/** A bit-vector constant of a Z3 model; one the model leaves out may be anything: 0. */
export function modelValue(model: string, name: string): bigint {
  const m = new RegExp(`\\(define-fun ${name} \\(\\) \\(_ BitVec \\d+\\)\\s+#x([0-9a-f]+)\\)`).exec(model);
  return m ? BigInt(`0x${m[1]}`) : 0n;
}

/**
 * `run` replays one case on the engines and says whether every JIT run agrees with the VM
 * (`detail` is shown when the planted JIT is not caught).
 */
export async function refuteAndReplay<C>(z: Z3Handle, bug: PlantedBug, obligation: Obligation, replay: (model: string) => C[], run: (c: C) => { agree: boolean; detail: unknown }): Promise<void> {
  plantedJitBugs[bug] = true;
  try {
    const bad = await proveAt(z, obligation, 64, 120_000);
    expect(bad.verdict).toBe('failed');
    expect(bad.model).toMatch(/define-fun/);
    const cases = replay(bad.model!);
    const planted = cases.map(run);
    expect(planted.some((r) => !r.agree), JSON.stringify(planted.map((r) => r.detail))).toBe(true);
    plantedJitBugs[bug] = false;
    for (const c of cases) {
      const r = run(c);
      expect(r.agree, JSON.stringify(r.detail)).toBe(true);
    }
  } finally {
    plantedJitBugs[bug] = false;
  }
  expect((await proveAt(z, obligation, 64, 120_000)).verdict).toBe('proved');
}

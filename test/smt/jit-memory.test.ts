/**
 * The JIT's loads and stores through pointer registers against the VM's memory rule: a mutation
 * check. Each planted code-generation bug (src/jit/planted.ts) makes the template accept an access
 * the VM refuses, or call the slow path with the wrong operands; Z3 refutes the obligation with a
 * model. (The real templates are proven by test/smt/prove.test.ts and `bpflab prove`.)
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { plantedJitBugs } from '../../src/jit/planted.js';
import { loadZ3, memoryObligations, proveAt, type Z3Handle } from '../../src/smt/index.js';

let z: Z3Handle;
beforeAll(async () => { z = await loadZ3(); });
afterAll(async () => { await z.close(); });

type Bug = Exclude<keyof typeof plantedJitBugs, 'signedJumpsAsUnsigned'>;
afterEach(() => { for (const k of Object.keys(plantedJitBugs) as Array<keyof typeof plantedJitBugs>) plantedJitBugs[k] = false; });

const MUTANTS: Array<{ bug: Bug; obligation: string; what: string }> = [
  { bug: 'storesIgnoreReadOnly', obligation: 'jit.stx32.ptr.checked', what: 'a store into a read-only region passes the window test (the VM faults: read_only)' },
  { bug: 'windowStartUnsigned', obligation: 'jit.ldx8.ptr.checked', what: 'an offset below the window start passes when compared unsigned (the VM faults: out_of_bounds)' },
  { bug: 'noAlignCheck', obligation: 'jit.ldsx16.ptr.checked', what: 'a misaligned stack access passes without the alignment test (the VM faults: misaligned)' },
  { bug: 'slowPathWithoutOffset', obligation: 'jit.ldx8.ptr.trusted', what: 'the slow path is called with offset 0 instead of the instruction\'s' },
];

describe('JIT memory templates: mutation check', () => {
  for (const mu of MUTANTS) {
    it(`${mu.bug}: ${mu.what}`, async () => {
      plantedJitBugs[mu.bug] = true;
      const bad = memoryObligations().find((o) => o.name === mu.obligation)!;
      const r = await proveAt(z, bad, 64, 120_000);
      expect(r.verdict).toBe('failed');
      expect(r.model).toMatch(/define-fun/);
    }, 180_000);
  }
});

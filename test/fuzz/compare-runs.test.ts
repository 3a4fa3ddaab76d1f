/**
 * compareRuns (the jit oracle's and the re-check's comparison of two runs) decides equal maps
 * from the map instances (sameMapContents) and writes the listings only otherwise: its answer must
 * be the listings' -- over fuzz cases whose programs write their maps, and when one run's map is
 * changed after the run.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import type { Program } from '../../src/isa/program.js';
import { verify } from '../../src/verifier/index.js';
import { sameMapContents } from '../../src/fuzz/engines.js';
import { compareRuns } from '../../src/fuzz/oracles/jit.js';
import { type EngineRun, type FuzzCase, FUZZ_VERIFY_OPTIONS, caseArb, materialize, vmEngine } from '../../src/fuzz/index.js';

type Ran = EngineRun & { ok: true };
/** A run of its own (vmEngine reuses its VM, not the maps of a finished run). */
const run = (p: Program, c: FuzzCase, i: number): Ran | null => {
  const r = vmEngine(p, materialize(p, c.inputs[i]!), { maxSteps: 100_000 });
  return r.ok ? r : null;
};

describe('compareRuns', () => {
  test('equal maps decided without listings agree with the listings, over fuzz cases', () => {
    let withMaps = 0, decided = 0, differing = 0;
    for (const c of fc.sample(caseArb({ structured: 1 }), { numRuns: 150, seed: 11 }) as FuzzCase[]) {
      if (c.program.maps.length === 0 || verify(c.program, FUZZ_VERIFY_OPTIONS).verdict !== 'accept') continue;
      const a = run(c.program, c, 0), b = run(c.program, c, 0);
      if (!a || !b) continue;
      withMaps++;
      // "same" only when the listings are the same; "not plainly the same" leaves it to the listings
      if (sameMapContents(a.mapInstances!, b.mapInstances!)) { decided++; expect(a.maps.join('\n')).toBe(b.maps.join('\n')); }
      expect(compareRuns(a, b)).toBeNull();
      if (c.inputs.length > 1) {
        const d = run(c.program, c, 1);
        if (d && sameMapContents(a.mapInstances!, d.mapInstances!)) expect(a.maps.join('\n')).toBe(d.maps.join('\n'));
        if (d && a.maps.join('\n') !== d.maps.join('\n')) { differing++; expect(sameMapContents(a.mapInstances!, d.mapInstances!)).toBe(false); }
      }
    }
    expect(withMaps).toBeGreaterThan(10);
    // most equal runs are decided without listings, and some inputs do leave other maps
    expect(decided).toBeGreaterThan(withMaps / 2);
    expect(differing).toBeGreaterThan(0);
  });

  test('a map changed after one run is a maps difference, named by its listing', () => {
    const a0 = assemble(`
      .map counts array key=4 value=8 entries=4
      r1 = 0
      *(u32 *)(r10 -4) = r1
      r2 = r10
      r2 += -4
      r1 = map[counts]
      call 1
      if r0 == 0 goto out
      r1 = 5
      *(u64 *)(r0 +0) = r1
    out:
      r0 = 0
      exit`);
    const p: Program = { name: 't', section: '', type: a0.type ?? 'socket_filter', insns: a0.insns, maps: a0.maps, license: 'GPL' };
    expect(verify(p, FUZZ_VERIFY_OPTIONS).verdict).toBe('accept');
    const c: FuzzCase = { program: p, inputs: [{ packet: new Uint8Array(40), ctx: new Uint8Array(184), maps: [], seed: 1 }] };
    const a = run(p, c, 0)!, b = run(p, c, 0)!;
    expect(compareRuns(a, b)).toBeNull();
    const key = new Uint8Array(4);
    b.mapInstances![0]!.update(key, new Uint8Array([6, 0, 0, 0, 0, 0, 0, 0]));
    expect(sameMapContents(a.mapInstances!, b.mapInstances!)).toBe(false);
    const d = compareRuns(a, b);
    expect(d?.[0]).toBe('maps');
    expect(d?.[2]).toContain('0500000000000000');
    expect(d?.[2]).toContain('0600000000000000');
  });
});

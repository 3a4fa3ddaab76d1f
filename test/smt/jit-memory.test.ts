/**
 * The JIT's loads and stores through pointer registers against the VM's memory rule: a mutation
 * check. Each planted code-generation bug (src/jit/planted.ts) makes the template accept an access
 * the VM refuses, or call the slow path with the wrong operands; Z3 refutes the obligation with a
 * model. (The real templates are proven by test/smt/prove.test.ts and `bpflab prove`.) Also the
 * proof's finding replayed on the engines: a map-value pointer moved below the value and back.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Jit, type JitMode } from '../../src/jit/index.js';
import { plantedJitBugs } from '../../src/jit/planted.js';
import { assemble } from '../../src/isa/asm/index.js';
import { createMap } from '../../src/runtime/maps/create.js';
import { Vm } from '../../src/vm/index.js';
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

describe('the proof\'s counterexample on the engines', () => {
  it('a map-value pointer moved below the region (guard byte 0x7f) then read back inside: VM = JIT in both modes', () => {
    // trusted mode read such a value through the import's DataView at lo + off = 2^32 and threw
    // a RangeError before the fix; the VM (and the kernel) read byte 0
    const a = assemble(`
      .map arr array key=4 value=8 entries=1
        r1 = 0
        *(u32 *)(r10 -4) = r1
        r1 = map[arr]
        r2 = r10
        r2 += -4
        call bpf_map_lookup_elem
        if r0 == 0x0 goto out
        r0 += -1
        r1 = 0x2a
        *(u8 *)(r0 +1) = r1
        r0 = *(u8 *)(r0 +1)
        exit
      out:
        r0 = 7
        exit`);
    const program = { name: 'guard', section: '', type: 'socket_filter' as const, insns: a.insns, maps: a.maps, license: 'GPL' };
    const maps = () => program.maps.map((s) => createMap(s));
    const input = { packet: new Uint8Array(64) };
    expect(new Vm(program, { maps: maps() }).run(input).r0).toBe(0x2an);
    for (const mode of ['checked', 'trusted'] as JitMode[]) expect(new Jit(program, { mode, maps: maps() }).run(input).r0, mode).toBe(0x2an);
  });
});

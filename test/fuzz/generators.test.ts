/**
 * The generators: structured programs have valid encodings and are mostly accepted by the
 * verifier (the rate is printed), lowering resolves labels and emits only called subprograms,
 * mutation and inputs behave as documented, seeds load.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { validateInsns } from '../../src/isa/decode.js';
import * as op from '../../src/isa/opcodes.js';
import { verify } from '../../src/verifier/index.js';
import {
  Builder, FUZZ_PROG_TYPES, FUZZ_VERIFY_OPTIONS, bytesArb, inputArb, loadSeedPrograms, lowerShape, materialize, mutateInsns, programArb,
  rawProgramArb, shapeArb, shrinkShape, type Frag, type ProgramShape,
} from '../../src/fuzz/index.js';

describe('structured generator', () => {
  test('every program has a valid encoding, for every program type', () => {
    for (const type of FUZZ_PROG_TYPES) {
      fc.assert(fc.property(programArb({ types: [type] }), (p) => {
        expect(p.type).toBe(type);
        validateInsns(p.insns);
        expect(p.maps.length).toBeGreaterThan(0);
      }), { numRuns: 60, seed: 1 });
    }
  });

  test('most generated programs are accepted by the verifier', () => {
    const programs = fc.sample(programArb({ maxFragments: 8 }), { numRuns: 160, seed: 42 });
    const byType = new Map<string, [number, number]>();
    let accepted = 0;
    for (const p of programs) {
      const ok = verify(p, FUZZ_VERIFY_OPTIONS).verdict === 'accept';
      if (ok) accepted++;
      const t = byType.get(p.type) ?? [0, 0];
      byType.set(p.type, [t[0] + (ok ? 1 : 0), t[1] + 1]);
    }
    const rate = accepted / programs.length;
    console.log(`fuzz generator acceptance: ${(100 * rate).toFixed(1)}% of ${programs.length} (` +
      [...byType].map(([t, [a, n]]) => `${t} ${a}/${n}`).join(', ') + ')');
    expect(rate).toBeGreaterThan(0.6);
    for (const [, [a, n]] of byType) expect(a / n).toBeGreaterThan(0.4);
  });

  test('shapes shrink to smaller programs that are still valid', () => {
    // a property that fails on any program with a map lookup: the shrunk counterexample is tiny and valid
    const hasLookup = (insns: readonly { code: number; imm: number; src: number }[]) =>
      insns.some((i) => i.code === (op.BPF_JMP | op.BPF_CALL) && i.src === 0 && i.imm === 1);
    const r = fc.check(fc.property(shapeArb(), (s) => !hasLookup(lowerShape(s).insns)), { seed: 7, numRuns: 200 });
    expect(r.failed).toBe(true);
    const shrunk = lowerShape(r.counterexample![0] as ProgramShape);
    validateInsns(shrunk.insns);
    expect(hasLookup(shrunk.insns)).toBe(true);
    expect(shrunk.insns.length).toBeLessThan(30);
  });

  test('shapes are drawn reproducibly from the seed, and every shrink candidate lowers to a valid, smaller shape', () => {
    const arb = shapeArb();
    const drawn = fc.sample(arb, { seed: 21, numRuns: 60 });
    expect(fc.sample(arb, { seed: 21, numRuns: 60 })).toEqual(drawn);
    // fragments, nested ones included: no candidate has more, and one with as many changed a field
    const count = (fs: readonly Frag[]): number => fs.reduce((n, f) => n + 1 + (f.k === 'if' ? count(f.then) + count(f.else) : f.k === 'loop' ? count(f.body) : 0), 0);
    const size = (s: ProgramShape): number => count(s.body) + s.subs.reduce((n, x) => n + 1 + count(x.body), 0);
    let candidates = 0;
    for (const s of drawn.slice(0, 25)) {
      for (const c of shrinkShape(s)) {
        candidates++;
        validateInsns(lowerShape(c).insns);
        expect(size(c)).toBeLessThanOrEqual(size(s));
        expect(c).not.toEqual(s);
      }
    }
    expect(candidates).toBeGreaterThan(500);
  });

  test('subprograms are emitted only when called, so no code is unreachable', () => {
    const base: ProgramShape = {
      type: 'xdp', maps: [{ kind: 'array', keySize: 4, valueSize: 8, entries: 4 }],
      init: [{ k: 'const', dst: 0, value: 1n, how: 'mov64' }, { k: 'const', dst: 1, value: 2n, how: 'mov64' }, { k: 'const', dst: 2, value: 3n, how: 'mov64' }],
      body: [], subs: [{ body: [] }, { body: [] }], ret: 0, ret32: false,
    };
    const none = lowerShape(base);
    expect(none.insns.filter((i) => i.code === (op.BPF_JMP | op.BPF_EXIT))).toHaveLength(1);
    const called = lowerShape({ ...base, body: [{ k: 'call', sub: 1, args: [0, 1], dst: 2 }] });
    expect(called.insns.filter((i) => i.code === (op.BPF_JMP | op.BPF_EXIT))).toHaveLength(2);
    expect(verify(called).verdict).toBe('accept');
    expect(verify(none).verdict).toBe('accept');
  });

  test('loops lower to a bounded back-edge the verifier accepts', () => {
    const p = lowerShape({
      type: 'kprobe', maps: [{ kind: 'hash', keySize: 8, valueSize: 16, entries: 8 }],
      init: [{ k: 'ctx', dst: 0, field: 2, narrow: 0, viaSpill: false }, { k: 'const', dst: 1, value: -1n, how: 'ld64' }, { k: 'helper', dst: 2, fn: 0, mask: 0xff }],
      body: [{ k: 'loop', n: 4, bound: null, body: [{ k: 'alu', op: 'add', w32: false, dst: 0, src: { reg: 2 } }] },
        { k: 'loop', n: 1, bound: 1, body: [{ k: 'alu', op: 'xor', w32: true, dst: 1, src: { imm: 0x5a } }] }],
      subs: [], ret: 0, ret32: true,
    });
    const backEdges = p.insns.filter((i, pc) => op.cls(i.code) === op.BPF_JMP && op.jmpOp(i.code) !== op.BPF_CALL && i.off < 0 && pc >= 0);
    expect(backEdges).toHaveLength(2);
    expect(verify(p).verdict).toBe('accept');
  });
});

describe('builder', () => {
  test('labels resolve forwards and backwards', () => {
    const b = new Builder();
    const top = b.label();
    const out = b.label();
    b.bind(top);
    b.jmp(op.BPF_JMP | op.BPF_JEQ | op.BPF_K, 1, 0, 0, out);
    b.ja(top);
    b.bind(out);
    b.exit();
    const insns = b.finish();
    expect(insns[0]!.off).toBe(1);
    expect(insns[1]!.off).toBe(-2);
  });

  test('an unbound label is a generator bug', () => {
    const b = new Builder();
    b.ja(b.label());
    expect(() => b.finish()).toThrow(/never bound/);
  });
});

describe('raw and mutational generation', () => {
  test('raw programs have valid encodings', () => {
    fc.assert(fc.property(rawProgramArb, (p) => { validateInsns(p.insns); }), { numRuns: 200, seed: 3 });
  });

  test('mutations apply in order, modulo the length', () => {
    const insns = [{ code: 0xb7, dst: 0, src: 0, off: 0, imm: 1 }, { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }];
    expect(mutateInsns(insns, [{ k: 'field', at: 2, field: 'imm', value: 7 }])[0]!.imm).toBe(7);
    expect(mutateInsns(insns, [{ k: 'delete', at: 1 }])).toHaveLength(1);
    expect(mutateInsns(insns, [{ k: 'swap', a: 0, b: 1 }]).map((i) => i.code)).toEqual([0x95, 0xb7]);
    expect(mutateInsns(insns, [{ k: 'delete', at: 0 }, { k: 'delete', at: 0 }])).toEqual([{ code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }]);
    expect(insns[0]!.imm).toBe(1); // the seed is never modified
  });

  test('seed programs load from corpus/ and examples/', async () => {
    const seeds = await loadSeedPrograms();
    expect(seeds.length).toBeGreaterThan(20);
    expect(seeds.some((p) => p.type === 'xdp')).toBe(true);
  });
});

describe('inputs', () => {
  test('materialize fits packets and map entries to the program', () => {
    const p = lowerShape({
      type: 'sched_cls', maps: [{ kind: 'array', keySize: 8, valueSize: 24, entries: 3 }],
      init: [{ k: 'const', dst: 0, value: 0n, how: 'mov32' }, { k: 'const', dst: 1, value: 0n, how: 'mov32' }, { k: 'const', dst: 2, value: 0n, how: 'mov32' }],
      body: [], subs: [], ret: 0, ret32: false,
    });
    fc.assert(fc.property(inputArb, (input) => {
      const ci = materialize(p, input);
      expect(ci.packet!.length).toBeGreaterThanOrEqual(14);
      if (ci.packet![12] === 8 && ci.packet![13] === 0) expect(ci.packet!.length).toBeGreaterThanOrEqual(34);
      expect(ci.ctx).toBeUndefined();
      for (const f of ci.fills) {
        expect(f.key).toHaveLength(4);
        expect(f.value).toHaveLength(24);
        expect(new DataView(f.key.buffer).getUint32(0, true)).toBeLessThan(3);
      }
    }), { numRuns: 100, seed: 5 });
  });

  test('inputs are reproducible from the seed and shrink to fewer map entries and zero bytes', () => {
    const drawn = fc.sample(inputArb, { seed: 4, numRuns: 100 });
    expect(fc.sample(inputArb, { seed: 4, numRuns: 100 })).toEqual(drawn);
    expect(new Set(drawn.map((x) => x.maps.length)).size).toBe(5);
    // a property failing on any input with a map entry for map 2: the minimal case has one such entry, all zero
    const r = fc.check(fc.property(inputArb, (x) => !x.maps.some((m) => m.map === 2)), { seed: 6, numRuns: 200 });
    expect(r.failed).toBe(true);
    const [min] = r.counterexample!;
    expect(min.maps).toHaveLength(1);
    expect([...min.maps[0]!.value].every((b) => b === 0)).toBe(true);
    expect(min.packet).toHaveLength(14);
    expect(min.seed).toBe(0);
  });

  test('byte arrays keep their length bounds, are reproducible, and shrink to the bytes that matter', () => {
    const arb = bytesArb({ minLength: 14, maxLength: 128 });
    const drawn = fc.sample(arb, { seed: 9, numRuns: 200 });
    expect(fc.sample(arb, { seed: 9, numRuns: 200 })).toEqual(drawn);
    for (const b of drawn) { expect(b.length).toBeGreaterThanOrEqual(14); expect(b.length).toBeLessThanOrEqual(128); }
    // every length and byte value shows up, not only small ones
    expect(new Set(drawn.map((b) => b.length)).size).toBeGreaterThan(50);
    expect(new Set(drawn.flatMap((b) => [...b])).size).toBe(256);
    // a property failing when byte 20 is 0x80 or above: the minimal case is 21 bytes, all zero but that one
    const r = fc.check(fc.property(arb, (b) => b.length <= 20 || b[20]! < 0x80), { seed: 3, numRuns: 1000 });
    expect(r.failed).toBe(true);
    const [min] = r.counterexample!;
    expect(min.length).toBe(21);
    expect([...min.subarray(0, 20)].every((x) => x === 0)).toBe(true);
    expect(min[20]).toBeGreaterThanOrEqual(0x80);
  });
});

/**
 * Coverage-guided generation: mutations keep jumps on their targets, the feature collector sees
 * instruction classes, branch outcomes and rejections, a guided campaign is deterministic under
 * its seed, and with the same number of programs it reaches verifier rejection paths the
 * structured-only campaign does not.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { WeightTree } from '../../src/fuzz/guided/weight-tree.js';
import { IntSet } from '../../src/fuzz/guided/int-set.js';
import { main } from '../../src/cli/main.js';
import { memoryIo } from '../../src/cli/io.js';
import { assemble } from '../../src/isa/asm/index.js';
import * as op from '../../src/isa/opcodes.js';
import type { Program } from '../../src/isa/program.js';
import { verify } from '../../src/verifier/index.js';
import {
  FUZZ_VERIFY_OPTIONS, FeatureCollector, applyMutations, buildOracles, campaignGeneration, featureKind, loadSeedPrograms, normaliseMessage, observeSeeds, runCampaign, sanitizeOracle,
  seedKey,
} from '../../src/fuzz/index.js';

const program = (text: string): Program => {
  const a = assemble(text);
  return { name: 't', section: '', type: a.type ?? 'socket_filter', insns: a.insns, maps: a.maps, license: 'GPL' };
};

const BRANCHY = program(`
    .type socket_filter
    call bpf_get_prandom_u32
    r1 = 0x100000000 ll
    if r0 > 10 goto big
    r0 = 1
    exit
big:
    r0 = 2
    exit`);

/** The pc a jump at `pc` lands on. */
const target = (p: Program, pc: number): number => pc + 1 + p.insns[pc]!.off;
const jumpPc = (p: Program): number => p.insns.findIndex((i) => op.cls(i.code) === op.BPF_JMP && op.jmpOp(i.code) === op.BPF_JGT);

describe('guided mutations', () => {
  test('inserting, deleting and duplicating keep a jump on the instruction it aimed at', () => {
    const j = jumpPc(BRANCHY);
    const aimed = BRANCHY.insns[target(BRANCHY, j)]!;
    const exit = { code: op.BPF_JMP | op.BPF_EXIT, dst: 0, src: 0, off: 0, imm: 0 };
    // Positions are in units (the ld_imm64 pair is one): 0 call, 1 ld_imm64, 2 jgt, 3 r0 = 1, 4 exit, 5 r0 = 2, 6 exit.
    const mutants = [
      applyMutations(BRANCHY, [{ k: 'insert', at: 3, insns: [{ code: op.BPF_ALU64 | op.BPF_MOV | op.BPF_K, dst: 3, src: 0, off: 0, imm: 7 }] }], BRANCHY),
      applyMutations(BRANCHY, [{ k: 'delete', at: 4 }], BRANCHY),
      applyMutations(BRANCHY, [{ k: 'dupblock', at: 3, len: 2 }], BRANCHY),
      applyMutations(BRANCHY, [{ k: 'insert', at: 3, insns: [exit] }, { k: 'delete', at: 0 }], BRANCHY),
    ];
    for (const m of mutants) {
      const jm = jumpPc(m);
      expect(m.insns[target(m, jm)]).toEqual(aimed);
      // The ld_imm64 pair stays whole.
      const ld = m.insns.findIndex((i) => i.code === op.BPF_LD_IMM64);
      if (ld >= 0) expect(m.insns[ld + 1]!.code).toBe(0);
    }
    expect(mutants[0]!.insns.length).toBe(BRANCHY.insns.length + 1);
    expect(mutants[1]!.insns.length).toBe(BRANCHY.insns.length - 1);
  });

  test('flip negates a comparison; width switches JMP and JMP32; splice takes the other program\'s tail', () => {
    const j = jumpPc(BRANCHY);
    const units = 2; // call, ld_imm64 before the jump
    const flipped = applyMutations(BRANCHY, [{ k: 'flip', at: units }], BRANCHY);
    expect(op.jmpOp(flipped.insns[j]!.code)).toBe(op.BPF_JLE);
    const narrow = applyMutations(BRANCHY, [{ k: 'width', at: units }], BRANCHY);
    expect(op.cls(narrow.insns[j]!.code)).toBe(op.BPF_JMP32);
    const other = program('r0 = 5\nr0 += 1\nexit');
    const spliced = applyMutations(BRANCHY, [{ k: 'splice', at: 0, from: 1 }], other);
    expect(spliced.insns.map((i) => i.code)).toEqual([BRANCHY.insns[0]!.code, other.insns[1]!.code, other.insns[2]!.code]);
  });

  test('graft inserts a copy of one unit of the other program (an ld_imm64 pair whole), counted modulo its units', () => {
    const donor = program('r1 = 0x1122334455667788 ll\nr0 = 7\nexit'); // 3 units, 4 instructions
    const base = program('r0 = 0\nexit');
    const wide = applyMutations(base, [{ k: 'graft', at: 0, from: 3 }], donor); // unit 3 % 3 = 0: the pair
    expect(wide.insns.map((i) => i.code)).toEqual([op.BPF_LD_IMM64, 0, ...base.insns.map((i) => i.code)]);
    expect(wide.insns[1]!.imm).toBe(0x11223344);
    const mov = applyMutations(base, [{ k: 'graft', at: 1, from: 1 }], donor);
    expect(mov.insns[1]).toEqual(donor.insns[2]);
    expect(mov.insns[1]).not.toBe(donor.insns[2]);
  });
});

describe('the feature set', () => {
  test('holds what a Set holds, in insertion order, across clears and growth', () => {
    fc.assert(fc.property(fc.array(fc.array(fc.nat(1 << 28), { maxLength: 3000 }), { minLength: 1, maxLength: 4 }), (rounds) => {
      const s = new IntSet();
      for (const xs of rounds) {
        s.clear();
        const ref = new Set<number>();
        for (const x of xs) { s.add(x); ref.add(x); }
        expect([...s]).toEqual([...ref]);
        expect(s.size).toBe(ref.size);
        for (const x of xs.slice(0, 50)) expect(s.has(x)).toBe(true);
        expect(s.has((1 << 28) + 1)).toBe(false);
      }
    }), { numRuns: 30 });
  });
});

describe('verifier features', () => {
  test('instruction classes, both outcomes of a branch, and rejections are features', () => {
    const c = new FeatureCollector();
    c.begin(BRANCHY);
    const v = verify(BRANCHY, { ...FUZZ_VERIFY_OPTIONS, onInsn: c.onInsn });
    expect(v.verdict).toBe('accept');
    const kinds = [...c.end(v)].map(featureKind);
    expect(kinds.filter((k) => k === 'branch').length).toBe(2);
    expect(kinds).toContain('insn');
    expect(kinds).toContain('shape');

    const bad = program('r0 = *(u32 *)(r2 + 0)\nexit');
    c.begin(bad);
    const rv = verify(bad, { ...FUZZ_VERIFY_OPTIONS, onInsn: c.onInsn });
    expect(rv.verdict).toBe('reject');
    const rk = [...c.end(rv)].map(featureKind);
    expect(rk).toContain('reject');
    expect(rk).toContain('reject-at');
    expect(normaliseMessage('invalid access to map value, value_size=8 off=8 size=4')).toBe('invalid access to map value, value_size=N off=N size=N');
    expect(normaliseMessage('R3 !read_ok')).toBe('R !read_ok');
  });
});

describe('guided campaigns', () => {
  let seedPrograms: Promise<Program[]> | null = null;
  const campaign = async (guided: boolean, runs: number, seed: number) => {
    const setup = await buildOracles(['sanitize']);
    const seeds = await (seedPrograms ??= loadSeedPrograms());
    const { arb, coverage } = await campaignGeneration({ verify: setup.verify, seeds, guided });
    const { stats } = await runCampaign({ oracles: setup.oracles, verify: setup.verify, seed, runs, arb, coverage, shrinkSteps: 200 });
    return stats;
  };

  test('the same seed gives the same corpus and coverage', async () => {
    const a = await campaign(true, 60, 11);
    const b = await campaign(true, 60, 11);
    expect(b.coverage).toEqual(a.coverage);
    expect(b.accepted).toBe(a.accepted);
  });

  test('seeds verified once elsewhere (a parent thread) give a worker the corpus it would have built itself, without verifying them again', async () => {
    const setup = await buildOracles(['sanitize']);
    const seeds = (await (seedPrograms ??= loadSeedPrograms())).slice(0, 40);
    const observed = observeSeeds(setup.verify, seeds);
    expect(observed.size).toBe(new Set(seeds.map(seedKey)).size);
    // a clone, as a worker receives it (structured clone of the message), and a verifier that must not be called
    const received = new Map(structuredClone([...observed]));
    let calls = 0;
    const counting: typeof setup.verify = (p, o) => { calls++; return setup.verify(p, o); };
    const theirs = await campaignGeneration({ verify: counting, seeds, guided: true, observed: received });
    const own = await campaignGeneration({ verify: setup.verify, seeds, guided: true });
    expect(calls).toBe(0);
    expect(theirs.coverage.stats()).toEqual(own.coverage.stats());
    expect(theirs.coverage.reached()).toEqual(own.coverage.reached());
  });

  test('with the same number of programs, guidance reaches rejection paths the structured mix does not', async () => {
    const runs = 200;
    const unguided = await campaign(false, runs, 5);
    const guided = await campaign(true, runs, 5);
    console.log(`guided vs unguided, ${runs} programs: ${guided.coverage!.rejections} vs ${unguided.coverage!.rejections} rejection messages, ` +
      `${guided.coverage!.features} vs ${unguided.coverage!.features} features, accepted ${guided.accepted} vs ${unguided.accepted}`);
    expect(guided.coverage!.rejections).toBeGreaterThan(unguided.coverage!.rejections * 1.2);
  });

  test('a program with a map type the runtime does not model is unrunnable, not a sanitize finding', () => {
    // The corpus entry: accepted by the verifier (sockmaps are modelled there), but the runtime has no sockmap.
    const p = program(readFileSync(fileURLToPath(new URL('../../corpus/verifier/helpers/sockmap-delete-tc.s', import.meta.url)), 'utf8'));
    const v = verify(p, FUZZ_VERIFY_OPTIONS);
    const o = sanitizeOracle();
    expect(o.check({ program: p, inputs: [{ seed: 1, packet: new Uint8Array(64), ctx: new Uint8Array(0), maps: [] }] }, { verdict: () => v })).toBeNull();
  });

  test('bpflab fuzz --corpus-dir writes the corpus as assembly and reports coverage', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bpflab-guided-'));
    try {
      const io = memoryIo();
      const code = await main(['fuzz', '--runs', '40', '--seed', '3', '--oracle', 'sanitize', '--corpus-dir', join(dir, 'corpus'), '--out', join(dir, 'out'), '--no-seeds', '--json'], io);
      expect(code, io.stderr).toBe(0);
      const doc = JSON.parse(io.stdout) as { runs: number; guided: boolean; coverage: { features: number; rejections: number; corpus: number } };
      expect(doc.guided).toBe(true);
      expect(doc.runs).toBe(40);
      expect(doc.coverage.features).toBeGreaterThan(0);
      const files = readdirSync(join(dir, 'corpus'));
      expect(files.length).toBe(doc.coverage.corpus);
      for (const f of files) expect(() => assemble(readFileSync(join(dir, 'corpus', f), 'utf8'))).not.toThrow();
      const bad = memoryIo();
      expect(await main(['fuzz', '--runs', '1', '--no-guided', '--corpus-dir', dir], bad)).toBe(2);
      expect(bad.stderr).toMatch(/--corpus-dir needs guided generation/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the scheduler\'s weight tree', () => {
  test('picks the slot a pass over the weights picks, also after weight changes', () => {
    fc.assert(fc.property(
      fc.array(fc.double({ min: 0, max: 100, noNaN: true }), { minLength: 1, maxLength: 300 }),
      fc.array(fc.tuple(fc.nat(), fc.double({ min: 0, max: 100, noNaN: true })), { maxLength: 20 }),
      fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 1, maxLength: 20 }),
      (weights, changes, picks) => {
        const w = [...weights];
        const t = new WeightTree();
        t.build(w.length, (i) => w[i]!);
        for (const [at, v] of changes) { const i = at % w.length; t.add(i, v - w[i]!); w[i] = v; }
        const total = w.reduce((a, b) => a + b, 0);
        expect(t.total()).toBeCloseTo(total, 6);
        for (const r of picks) {
          const x = r * t.total();
          const i = t.find(x);
          // slot i's range [before, before + w[i]) holds x, up to rounding at the edges
          const before = w.slice(0, i).reduce((a, b) => a + b, 0);
          expect(before).toBeLessThanOrEqual(x + 1e-6);
          if (i < w.length - 1) expect(before + w[i]!).toBeGreaterThan(x - 1e-6);
        }
      },
    ));
  });

  test('slots appended and dropped from the end (and moved into a freed slot) keep the sums a rebuild gives', () => {
    fc.assert(fc.property(
      fc.array(fc.double({ min: 0.01, max: 100, noNaN: true }), { maxLength: 50 }),
      fc.array(fc.oneof(fc.double({ min: 0.01, max: 100, noNaN: true }), fc.nat()), { maxLength: 200 }),
      (weights, ops) => {
        const w = [...weights];
        const t = new WeightTree();
        t.build(w.length, (i) => w[i]!);
        for (const o of ops) {
          if (Number.isInteger(o) && w.length > 0) {
            // the evict pattern: the last slot's weight moves into slot k, then the last slot goes
            const k = (o as number) % w.length;
            const last = w[w.length - 1]!;
            t.add(k, last - w[k]!);
            w[k] = last;
            w.pop();
            t.pop();
          } else { t.push(o as number); w.push(o as number); }
        }
        const fresh = new WeightTree();
        fresh.build(w.length, (i) => w[i]!);
        expect(t.total()).toBeCloseTo(fresh.total(), 6);
        for (let k = 0; k < 20 && w.length > 0; k++) {
          const x = (k / 20) * t.total();
          const i = t.find(x);
          const before = w.slice(0, i).reduce((a, b) => a + b, 0);
          expect(before).toBeLessThanOrEqual(x + 1e-6);
          if (i < w.length - 1) expect(before + w[i]!).toBeGreaterThan(x - 1e-6);
        }
      },
    ));
  });
});

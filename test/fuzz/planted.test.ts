/**
 * Planted bugs, one per oracle: a verifier soundness bug behind VerifyOptions.plantedBug (the
 * fall-through of `>` refined as `<`) and a JIT code-generation bug behind plantedJitBugs (64-bit
 * signed jumps compared unsigned). Each oracle's campaign must find its bug, the
 * re-check must confirm it, and shrinking must bring it to at most 10 instructions -- and the
 * same program must show nothing without the planted bug. Seeded (a seed program near each bug, and its mutants), so each finds it in seconds; the
 * embed oracle is also shown to find the verifier bug from structured programs alone.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, test } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import type { Program } from '../../src/isa/program.js';
import { NEAR_JGT as NEAR_JGT_TEXT } from './near-bugs.js';
import { plantedJitBugs } from '../../src/jit/planted.js';
import { kernelAvailable } from '../../src/kernel/index.js';
import { verify, type VerifyOptions } from '../../src/verifier/index.js';
import {
  type FoundBug, type FuzzCase, type OracleName, type VerifyFn, buildOracles, caseArb, inputArb, makeRecheck, runCampaign, seedMutantArb,
  setFuzzOverrides, FUZZ_VERIFY_OPTIONS,
} from '../../src/fuzz/index.js';

const planted: VerifyFn = (p, o?: VerifyOptions) => verify(p, { ...o, plantedBug: 'jgt-fall-as-jlt' });
let undo: (() => void) | null = null;
afterEach(() => { undo?.(); undo = null; plantedJitBugs.signedJumpsAsUnsigned = false; });

const program = (text: string): Program => {
  const a = assemble(text);
  return { name: 'seed', section: '', type: a.type ?? 'socket_filter', insns: a.insns, maps: a.maps, license: 'GPL' };
};

const NEAR_JGT = program(NEAR_JGT_TEXT);

/** A seed near the planted JIT bug: a signed comparison of a random value that is negative half the time. */
const NEAR_SIGNED = program(`
    .type socket_filter
    call bpf_get_prandom_u32
    r0 <<= 32
    r1 = 0
    if r0 s> r1 goto pos
    r0 = 1
    exit
pos:
    r0 = 2
    exit`);

/** The seed program itself, then mutants of it (the mutation engine over a one-program corpus). */
const nearArb = (seed: Program): fc.Arbitrary<FuzzCase> =>
  fc.record({ program: fc.oneof(fc.constant(seed), seedMutantArb([seed], 2)), inputs: fc.array(inputArb, { minLength: 1, maxLength: 3 }) });

/** A campaign of one oracle until its first confirmed finding (at most 60 s). */
async function firstFinding(oracle: OracleName, seed: number, near?: Program): Promise<{ bug: FoundBug; seconds: number }> {
  const setup = await buildOracles([oracle]);
  expect(setup.skipped).toEqual([]);
  let bug: FoundBug | undefined;
  const { stats } = await runCampaign({
    // (the per-program budget at the campaign's length: on a loaded machine embed's unpruned exploration of a case can take seconds)
    oracles: setup.oracles, verify: setup.verify, seed, seconds: 60, programSeconds: 60, shrinkSteps: 1500, arb: near ? nearArb(near) : caseArb({ maxFragments: 6, modern: 0 }),
        // (a slow finding -- a case past the per-program budget on a loaded machine -- is not the planted bug)
    recheck: makeRecheck(setup), onFinding: (b) => { if (!b.finding.kind.startsWith('slow:')) bug ??= b; }, shouldStop: () => bug !== undefined,
  });
  expect(bug, `no ${oracle} finding in ${stats.seconds.toFixed(1)} s (${stats.runs} programs)`).toBeDefined();
  return { bug: bug!, seconds: stats.seconds };
}

/** The oracle finds nothing on the same case once the planted bug is gone. */
async function cleanWithout(oracle: OracleName, bug: FoundBug): Promise<void> {
  undo?.(); undo = null;
  plantedJitBugs.signedJumpsAsUnsigned = false;
  const setup = await buildOracles([oracle]);
  const f = bug.finding;
  let v: ReturnType<typeof verify> | undefined;
  const again = setup.oracles[0]!.check({ program: f.program, inputs: f.input ? [f.input] : [] }, { verdict: () => (v ??= setup.verify(f.program, FUZZ_VERIFY_OPTIONS)) });
  expect(again).toBeNull();
}

describe('planted bugs are found and minimised', () => {
  test('sanitize: the planted verifier bug lets a program fault', async () => {
    undo = setFuzzOverrides({ verify: planted });
    const { bug } = await firstFinding('sanitize', 3, NEAR_JGT);
    expect(bug.finding.kind).toMatch(/^fault:|^error:|^return-range/);
    expect(bug.finding.program.insns.length).toBeLessThanOrEqual(10);
    await cleanWithout('sanitize', bug);
  }, 90_000);

  test('embed: the planted verifier bug puts a concrete value outside the abstract state', async () => {
    undo = setFuzzOverrides({ verify: planted });
    const { bug } = await firstFinding('embed', 3, NEAR_JGT);
    expect(bug.finding.program.insns.length).toBeLessThanOrEqual(10);
    await cleanWithout('embed', bug);
  }, 90_000);

  test('embed: the planted verifier bug is found from structured programs too', async () => {
    undo = setFuzzOverrides({ verify: planted });
    const { bug } = await firstFinding('embed', 3);
    expect(bug.finding.program.insns.length).toBeLessThanOrEqual(10);
  }, 90_000);

  test('jit: the planted code-generation bug changes a result', async () => {
    plantedJitBugs.signedJumpsAsUnsigned = true;
    const { bug } = await firstFinding('jit', 3, NEAR_SIGNED);
    expect(bug.finding.program.insns.length).toBeLessThanOrEqual(10);
    expect(bug.finding.program.insns.some((i) => (i.code & 0x07) === 0x05 && [0x60, 0x70, 0xc0, 0xd0].includes(i.code & 0xf0))).toBe(true); // a signed 64-bit jump
    await cleanWithout('jit', bug);
  }, 90_000);

  test.skipIf(!kernelAvailable().ok)('kernel: the planted verifier bug accepts what the kernel rejects', async () => {
    undo = setFuzzOverrides({ verify: planted });
    const { bug } = await firstFinding('kernel', 3, NEAR_JGT);
    expect(bug.finding.kind).toMatch(/^bpflab-accepts:/);
    expect(bug.finding.program.insns.length).toBeLessThanOrEqual(10);
    await cleanWithout('kernel', bug);
  }, 90_000);
});

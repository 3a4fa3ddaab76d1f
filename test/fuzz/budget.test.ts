/**
 * The per-program time budget (src/fuzz/budget.ts): a program the verifier would explore forever,
 * or an oracle stage that runs long, does not hold a campaign; it is counted as over budget and
 * recorded as a `slow` finding with its program.
 */
import { describe, expect, test } from 'vitest';
import { performance } from 'node:perf_hooks';
import { verify } from '../../src/verifier/index.js';
import type { Program } from '../../src/isa/program.js';
import type { VerifyOptions } from '../../src/verifier/index.js';
import type { VState } from '../../src/verifier/state.js';
import { OverBudget, budgetedVerify, checkBudget, withProgramBudget } from '../../src/fuzz/budget.js';
import { type Oracle, caseArb, runCampaign, sanitizeOracle } from '../../src/fuzz/index.js';

const busy = (ms: number): void => { const end = performance.now() + ms; while (performance.now() < end); };

/** A verifier that never finishes on the programs of chosen calls (it keeps processing instructions); the others are verified. */
function stuckOn(calls: readonly number[]): { verify: (p: Program, o?: VerifyOptions) => ReturnType<typeof verify>; stuck: Program[] } {
  let n = 0;
  const stuck: Program[] = [];
  return {
    stuck,
    verify: (p, o) => {
      if (calls.includes(++n)) { stuck.push(p); for (;;) o?.onInsn?.(0, undefined as unknown as VState); }
      return verify(p, o);
    },
  };
}

describe('per-program budget', () => {
  test('checkBudget throws past the open deadline only; nested budgets keep the earlier deadline', () => {
    expect(() => checkBudget('x')).not.toThrow();
    expect(() => withProgramBudget(20, () => { busy(30); checkBudget('stage'); })).toThrow(OverBudget);
    withProgramBudget(10_000, () => {
      expect(() => withProgramBudget(1e9, () => checkBudget('inner'))).not.toThrow();
      expect(() => withProgramBudget(5, () => { busy(10); checkBudget('inner'); })).toThrow(/inner went past/);
    });
  });

  test('a budgeted verification is cut inside its exploration, and runs as before with no budget open', () => {
    const v = budgetedVerify(stuckOn([1]).verify);
    const seven: Program = { name: 't', section: '', type: 'socket_filter', insns: Array.from({ length: 7 }, () => ({ code: 0xb7, dst: 0, src: 0, off: 0, imm: 0 })), maps: [], license: 'GPL' };
    seven.insns[6] = { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 };
    const t = performance.now();
    expect(() => withProgramBudget(50, () => v(seven))).toThrow(OverBudget);
    expect(performance.now() - t).toBeLessThan(2000);
    const ok = { ...seven, insns: seven.insns.slice(5) };
    expect(v(ok).verdict).toBe('accept');
  });

  test('a campaign goes on past programs the verifier is stuck on, counts them and records one slow finding with its program', async () => {
    // (a wall-clock budget well above what a small program takes even on a loaded machine)
    const s = stuckOn([2, 5]);
    const { stats, found } = await runCampaign({ oracles: [sanitizeOracle()], verify: s.verify, seed: 5, runs: 8, programSeconds: 1.5, arb: caseArb({ maxFragments: 4 }) });
    expect(stats.runs).toBe(8);
    expect(stats.overBudget).toBe(2);
    expect(found.map((b) => b.finding.kind)).toEqual(['slow:verify']);
    expect(found[0]!.finding.program).toBe(s.stuck[0]);
    expect(found[0]!.finding.message).toMatch(/^verify was cut after \d+ ms on this \d+-insn program/);
  });

  test('an oracle stage that cannot be cut is measured: a case finishing late is over budget and names the slow oracle', async () => {
    let calls = 0;
    const slowOnce: Oracle = { name: 'jit', notes: new Set(), unavailable: () => null, check: () => { if (++calls === 3) busy(1200); return null; } };
    const { stats, found } = await runCampaign({ oracles: [slowOnce], verify, seed: 2, runs: 10, programSeconds: 1, arb: caseArb({ maxFragments: 4 }) });
    expect(stats.runs).toBe(10);
    expect(stats.overBudget).toBe(1);
    expect(found.map((b) => b.finding.kind)).toEqual(['slow:jit']);
    expect(found[0]!.finding.message).toMatch(/^jit took \d+ ms/);
  });
});

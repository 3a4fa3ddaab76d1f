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
import { type Oracle, caseArb, kernelOracle, runCampaign, sanitizeOracle } from '../../src/fuzz/index.js';
import { assemble } from '../../src/isa/asm/index.js';
import { kernelAvailable, progLoad, closeFd, withSyscallDeadline } from '../../src/kernel/index.js';

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
    const { stats, found } = await runCampaign({ oracles: [sanitizeOracle()], verify: s.verify, seed: 5, runs: 8, programSeconds: 2, arb: caseArb({ maxFragments: 4 }) });
    expect(stats.runs).toBe(8);
    expect(s.stuck).toHaveLength(2);
    // (>= : on a very loaded machine a small program may take the budget too)
    expect(stats.overBudget).toBeGreaterThanOrEqual(2);
    const slow = found.find((b) => b.finding.kind === 'slow:verify');
    expect(slow?.finding.program).toBe(s.stuck[0]);
    expect(slow?.finding.message).toMatch(/^verify was cut after \d+ ms on this \d+-insn program/);
    expect(found.filter((b) => b.finding.kind === 'slow:verify')).toHaveLength(1);
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

/** A counter loop to 2^31 that the kernel explores iteration by iteration up to its 1M-instruction limit (seconds). */
const LONG_LOOP = ((): Program => {
  const a = assemble(`
    .type socket_filter
    *(u64 *)(r10 -8) = 0
    r0 = *(u64 *)(r10 -8)
    r0 += 1
    *(u64 *)(r10 -8) = r0
    if r0 < 0x80000000 goto -4
    r0 = 0
    exit
  `);
  return { name: 'loop', section: '', type: 'socket_filter', insns: a.insns, maps: a.maps, license: 'GPL' };
})();

const k = kernelAvailable();
if (!k.ok) console.log(`skip: kernel budget tests: ${k.reason}`);

describe.skipIf(!k.ok)('per-program budget in the kernel', () => {
  test('a kernel verification past the deadline is interrupted (EAGAIN) before its 1M-instruction limit', () => {
    const r = withSyscallDeadline(30, () => progLoad(LONG_LOOP, { logLevel: 0 }));
    if (r.fd !== null) closeFd(r.fd);
    expect(r.errno).toBe('EAGAIN');
    expect(r.processed ?? 0).toBeLessThan(1_000_000);
  });

  test('the kernel oracle stops at the budget with the stage named', () => {
    const cx = { verdict: () => verify(LONG_LOOP, { insnLimit: 20_000 }) };
    cx.verdict();
    expect(() => withProgramBudget(30, () => kernelOracle().check({ program: LONG_LOOP, inputs: [] }, cx))).toThrow(/kernel-load went past/);
  });
});

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
import { type FoundBug, type Oracle, caseArb, keepFinding, kernelOracle, mergeJobs, runCampaign, sanitizeOracle } from '../../src/fuzz/index.js';
import { assemble } from '../../src/isa/asm/index.js';
import { kernelAvailable, progLoad, closeFd, prepareSyscallDeadlines, withSyscallDeadline } from '../../src/kernel/index.js';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

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
    const reported: FoundBug[] = [];
    const { stats, found } = await runCampaign({ oracles: [sanitizeOracle()], verify: s.verify, seed: 5, runs: 8, programSeconds: 2, arb: caseArb({ maxFragments: 4 }), onFinding: (b) => reported.push(b) });
    expect(stats.runs).toBe(8);
    expect(s.stuck).toHaveLength(2);
    // (>= : on a loaded machine another program may take the budget too, e.g. the first one that parses the kernel BTF)
    expect(stats.overBudget).toBeGreaterThanOrEqual(2);
    const cut = reported.filter((b) => b.finding.kind === 'slow:verify');
    expect(cut.some((b) => s.stuck.includes(b.finding.program))).toBe(true);
    // one finding of the kind: the slowest of those reported, with its program
    const slow = found.filter((b) => b.finding.kind === 'slow:verify');
    expect(slow).toHaveLength(1);
    expect(slow[0]).toBe(cut[cut.length - 1]);
    expect(slow[0]!.slowMs).toBe(Math.max(...cut.map((b) => b.slowMs ?? 0)));
    expect(slow[0]!.finding.message).toMatch(/^verify was cut after \d+ ms on this \d+-insn program/);
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

  test('of the slow cases of a kind the slowest is kept, and reported when it replaces the one before', async () => {
    let calls = 0;
    const seen: Program[] = [];
    // cases 3, 5 and 7 finish late: 5 is the slowest
    const late: Record<number, number> = { 3: 1100, 5: 1900, 7: 1300 };
    const slow: Oracle = { name: 'jit', notes: new Set(), unavailable: () => null, check: (c) => { const ms = late[++calls]; if (ms) { seen[calls] = c.program; busy(ms); } return null; } };
    const reported: FoundBug[] = [];
    const { stats, found } = await runCampaign({ oracles: [slow], verify, seed: 2, runs: 8, programSeconds: 1, arb: caseArb({ maxFragments: 4 }), onFinding: (b) => reported.push(b) });
    expect(stats.overBudget).toBe(3);
    expect(stats.findings).toBe(1);
    expect(found).toHaveLength(1);
    expect(found[0]!.finding.program).toBe(seen[5]);
    expect(found[0]!.slowMs).toBeGreaterThanOrEqual(1900);
    // the first case, then the slower fifth; the seventh is not slower
    expect(reported.map((b) => b.finding.program)).toEqual([seen[3], seen[5]]);
  });

  test('which slow case is kept does not depend on the order they are reported in', () => {
    const insn = (imm: number) => ({ code: 0xb7, dst: 0, src: 0, off: 0, imm });
    const exit = { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 };
    const bug = (ms: number, insns: Program['insns']): FoundBug => ({
      signature: 'kernel|slow:kernel-load|none', originalInsns: insns.length, seed: 1, shrinkSteps: 0, slowMs: ms,
      finding: { oracle: 'kernel', kind: 'slow:kernel-load', pc: -1, verdict: 'reject', message: '', program: { name: 't', section: '', type: 'xdp', insns, maps: [], license: 'GPL' } },
    });
    // the slowest; equal times: the shorter program, then the lower encoding
    const bugs = [bug(31_000, [insn(1), exit]), bug(32_000, [insn(2), insn(3), exit]), bug(32_000, [insn(2), exit]), bug(32_000, [insn(1), exit]), bug(30_500, [exit])];
    for (let rot = 0; rot < bugs.length; rot++) {
      const order = [...bugs.slice(rot), ...bugs.slice(0, rot)];
      for (const list of [order, [...order].reverse()]) {
        const found: FoundBug[] = [];
        for (const b of list) keepFinding(found, b);
        expect(found).toEqual([bugs[3]]);
        const merged = mergeJobs(list.map((b, index) => ({ index, stats: { runs: 1, accepted: 0, findings: 1, duplicates: 0, seconds: 1, shrinkSeconds: 0, unconfirmed: 0 }, found: [b], notes: [] })));
        expect(merged.found).toEqual([bugs[3]]);
        expect(merged.stats.duplicates).toBe(bugs.length - 1);
      }
    }
    // other kinds keep the first
    const first = { ...bugs[0]!, signature: 'sanitize|x|y', finding: { ...bugs[0]!.finding, kind: 'x' } };
    const found = [first];
    expect(keepFinding(found, { ...bugs[1]!, signature: 'sanitize|x|y', finding: { ...bugs[1]!.finding, kind: 'x' } })).toBe('duplicate');
    expect(found).toEqual([first]);
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
const builtKernel = ((): string | null => { const f = fileURLToPath(new URL('../../dist/kernel/index.js', import.meta.url)); return existsSync(f) ? f : null; })();
if (k.ok && !builtKernel) console.log('skip: the worker-thread kernel budget test: dist/ is not built (npm run build)');

describe.skipIf(!k.ok)('per-program budget in the kernel', () => {
  test('a kernel verification past the deadline is interrupted (EAGAIN) before its 1M-instruction limit', () => {
    const r = withSyscallDeadline(30, () => progLoad(LONG_LOOP, { logLevel: 0 }));
    if (r.fd !== null) closeFd(r.fd);
    expect(r.errno).toBe('EAGAIN');
    expect(r.processed ?? 0).toBeLessThan(1_000_000);
  });

  test.skipIf(!builtKernel)('a kernel load in a worker thread is interrupted at its deadline too (the signal goes to that thread)', async () => {
    prepareSyscallDeadlines();
    // (the worker runs the compiled module: a worker thread cannot import the TypeScript sources)
    const w = new Worker(`
      const { parentPort, workerData } = require('node:worker_threads');
      import(workerData.url).then((k) => {
        const r = k.withSyscallDeadline(30, () => k.progLoad(workerData.program, { logLevel: 0 }));
        if (r.fd !== null) k.closeFd(r.fd);
        parentPort.postMessage({ errno: r.errno, processed: r.processed, why: k.syscallDeadlineUnavailable() });
      }, (e) => parentPort.postMessage({ error: String(e) }));`, { eval: true, workerData: { url: pathToFileURL(builtKernel).href, program: LONG_LOOP } });
    const r = await new Promise<{ errno?: string; processed?: number; why?: string | null; error?: string }>((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
    await w.terminate();
    expect(r.error).toBeUndefined();
    expect(r.why).toBeNull();
    expect(r.errno).toBe('EAGAIN');
    expect(r.processed ?? 0).toBeLessThan(1_000_000);
  });

  test('the kernel oracle stops at the budget with the stage named', () => {
    const cx = { verdict: () => verify(LONG_LOOP, { insnLimit: 20_000 }) };
    cx.verdict();
    expect(() => withProgramBudget(30, () => kernelOracle().check({ program: LONG_LOOP, inputs: [] }, cx))).toThrow(/kernel-load went past/);
  });
});

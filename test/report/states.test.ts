/**
 * The report's per-instruction states: the recorder (onInsn, formatting only what changed) must
 * give the same state as the verifier's own full formatting at every first visit; the packed
 * wire form must round-trip; a long straight-line rejection is recorded in one verifier run.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadFile } from '../../src/loader/index.js';
import { buildProgramView, buildReportInput, fromWire, packInts, renderHtmlReport, stateAt, StateRecorder, toWire, unpackInts, verifyWithStates } from '../../src/report/index.js';
import { REPORT_EXPLAIN_PATH, stateEntries } from '../../src/report/states.js';
import { getDomain } from '../../src/verifier/domains/domain.js';
import { verify } from '../../src/verifier/index.js';
import { Log } from '../../src/verifier/log.js';
import type { VState } from '../../src/verifier/state.js';
import { asm, BRANCHY } from './helpers.js';

const CORPUS = fileURLToPath(new URL('../../corpus/', import.meta.url));

/** Rejected on its second pass through pcs 5 and 6. */
const TWICE = `.type xdp
    r2 = *(u32 *)(r1 +0)
    r6 = *(u32 *)(r1 +12)
    r7 = 0
    if r6 == 0 goto a
    r7 = 100
a:
    r0 = 2
    if r7 > 50 goto ok
    r0 = *(u8 *)(r2 +0)
ok:
    exit
`;

describe('packed integer columns', () => {
  it('unpackInts(packInts(xs)) = xs, runs and negative deltas included', () => {
    const ints = fc.array(fc.oneof(fc.integer({ min: -5, max: 5 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 })), { maxLength: 60 });
    const withRuns = fc.array(fc.tuple(fc.integer({ min: -1000, max: 1_000_000 }), fc.integer({ min: 1, max: 40 })), { maxLength: 12 })
      .map((runs) => runs.flatMap(([v, n]) => Array.from({ length: n }, (_, i) => v + i * (v % 3))));
    fc.assert(fc.property(fc.oneof(ints, withRuns), (xs) => {
      const s = packInts(xs);
      return /^[A-Za-z0-9_-]*$/.test(s) && JSON.stringify(unpackInts(s)) === JSON.stringify(xs);
    }));
    // a straight-line pc column is one run: a few characters for 100,000 pcs
    expect(packInts(Array.from({ length: 100_000 }, (_, i) => i)).length).toBeLessThan(8);
  });

  it('a view survives toWire / fromWire', () => {
    const p = asm(BRANCHY, 'branchy.s');
    const v = buildProgramView({ program: p, result: verify(p) }, 0);
    const back = fromWire(JSON.parse(JSON.stringify(toWire(v))));
    expect(back.text).toEqual(v.text);
    expect(back.path).toEqual(v.path);
    expect(back.pcStates).toEqual(v.pcStates);
    for (let pc = 0; pc < p.insns.length; pc++) expect(stateAt(back, pc)).toEqual(stateAt(v, pc));
  });
});

describe('StateRecorder', () => {
  it('records, at each first visit, exactly the state the verifier formats (corpus programs: stack, calls, maps, refs)', async () => {
    const files = readdirSync(CORPUS, { recursive: true, encoding: 'utf8' }).filter((f) => /\.(o|s)$/.test(f)).sort();
    let checked = 0;
    for (const f of files) {
      const programs = await loadFile(join(CORPUS, f), readFileSync(join(CORPUS, f)), {});
      for (const p of programs) {
        const rec = new StateRecorder(p);
        const log = new Log(p, getDomain('kernel'));
        const first = new Map<number, string>();
        const onInsn = (pc: number, st: VState): void => {
          if (!first.has(pc)) first.set(pc, log.state(st));
          rec.onInsn(pc, st);
        };
        // a low limit keeps loop-heavy entries quick: every first visit up to it is still compared
        const result = verify(p, { onInsn, insnLimit: 2000 });
        const v = { pcStates: rec.compact({ ...result, path: [] }) };
        for (const [pc, text] of first) {
          const want = stateEntries(text);
          const got = stateAt(v, pc);
          expect(got, `${f} ${p.name} pc ${pc}`).not.toBeNull();
          expect(got!.before, `${f} ${p.name} pc ${pc}`).toEqual(want.entries);
          expect(got!.frame).toBe(want.frame);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });

  it('hands explain the failing path\'s states from the recorded first visits: the same text a path-tracking run gives (corpus rejections)', async () => {
    const files = readdirSync(CORPUS, { recursive: true, encoding: 'utf8' }).filter((f) => /\.s$/.test(f)).sort();
    let compared = 0;
    // every 4th file keeps the test cheap while covering stack, calls, maps and refs
    for (const f of files.filter((_, i) => i % 4 === 0)) {
      for (const p of await loadFile(join(CORPUS, f), readFileSync(join(CORPUS, f)), {})) {
        const { result, withPathStates } = verifyWithStates(p);
        if (!withPathStates) continue;
        expect(result.pathStates).toBeUndefined(); // the report's own result is left as verified
        const tracked = verify(p, { pathStates: true });
        expect(withPathStates.pathStates, `${f} ${p.name}`).toEqual(tracked.pathStates);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(10);
  });

  it('a long straight-line rejection: one verifier run, every pc on the path, states by instruction', () => {
    const n = 20_000;
    const lines = ['r0 = 0', ...Array.from({ length: n - 3 }, () => 'r0 += 1'), 'r0 += r2', 'exit'];
    const p = asm(lines.join('\n') + '\n', 'line.s');
    const { result, states } = verifyWithStates(p);
    expect(result.verdict).toBe('reject');
    expect(result.pathStates).toBeUndefined(); // the first visits are the path's: no second run
    const v = { pcStates: states };
    const r0 = (pc: number, side: 'before' | 'after'): string | undefined => stateAt(v, pc)![side].find(([k]) => k === 'R0')?.[1];
    expect(BigInt(r0(1, 'before')!)).toBe(0n);
    expect(BigInt(r0(12_345, 'before')!)).toBe(12_344n);
    expect(BigInt(r0(12_345, 'after')!)).toBe(12_345n);
    expect(stateAt(v, 12_345)).toMatchObject({ path: true, exact: true, n: 1, changed: ['R0'] });
    expect(stateAt(v, n - 2)).toMatchObject({ path: true });
    // straight-line code: a whole state only every few dozen rows
    expect(states.fullAt.length).toBeLessThan(n / 16);
    expect(states.entries.length).toBeLessThan(n + 10);
  });

  it('a failing path beyond REPORT_EXPLAIN_PATH: the report leaves it to bpflab explain and builds no path states for it', async () => {
    const n = REPORT_EXPLAIN_PATH + 500;
    const lines = ['r0 = 0', ...Array.from({ length: n - 3 }, () => 'r0 += 1'), 'r0 += r2', 'exit'];
    const p = asm(lines.join('\n') + '\n', 'line.s');
    expect(verifyWithStates(p).withPathStates).toBeUndefined();
    const input = await buildReportInput('line.s', [p]);
    expect(input.programs[0]!.explain).toMatchObject({ feasible: null });
    expect(input.programs[0]!.explain!.reason).toMatch(/beyond the bound of 20000 \(`bpflab explain` checks longer paths prefix by prefix\)/);
  });

  it('a huge program: states only for the failing path\'s end and the failing pc\'s surroundings, and the page says so', async () => {
    const n = 12_000;
    const lines = ['r0 = 0', ...Array.from({ length: n - 3 }, () => 'r0 += 1'), 'r0 += r2', 'exit'];
    const p = asm(lines.join('\n') + '\n', 'line.s');
    const { result, states } = verifyWithStates(p, {}, 200_000, 3000);
    const v = { pcStates: states };
    expect(states.pc.length).toBeLessThanOrEqual(3000);
    expect(stateAt(v, result.error!.pc)).toMatchObject({ path: true, exact: true });
    expect(BigInt(stateAt(v, n - 2000)!.before.find(([k]) => k === 'R0')![1])).toBe(BigInt(n - 2001));
    expect(stateAt(v, 100)).toBeNull();
    expect(states.omitted).toMatch(/states are embedded for 3000 of the 11999 instructions/);
    const html = renderHtmlReport(await buildReportInput('line.s', [p], { explain: false, maxStateRows: 3000 }));
    expect(html).toContain('states are embedded for 3000 of the 11999 instructions the verifier processed');
  });

  it('a path through a pc visited more than once takes its states from a second, path-tracking run', () => {
    // pcs 5 and 6 run first with r7 = 100 (off the failing path), then with r7 = 0 on it
    const p = asm(TWICE, 'twice.s');
    const { result, states } = verifyWithStates(p);
    expect(result.verdict).toBe('reject');
    expect(result.path).toEqual([0, 1, 2, 3, 5, 6, 7]);
    expect(result.pathStates?.length).toBe(result.path!.length);
    const v = { pcStates: states };
    for (const pc of result.path!) expect(stateAt(v, pc)!.path).toBe(true);
    expect(stateAt(v, 6)).toMatchObject({ n: 2, exact: true });
    expect(stateAt(v, 6)!.before.find(([k]) => k === 'R7')![1]).toBe('0');
  });
});

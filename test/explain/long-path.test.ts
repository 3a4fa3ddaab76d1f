/**
 * Failing paths beyond 20,000 instructions (a loop of 4,000 iterations unrolled along the path):
 * explain encodes them prefix by prefix into one solver (bounded model checking along the path),
 * decides them, stops at the first prefix no input can follow, and says which bound it reached
 * when its time runs out.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadAsmProgram } from '../../src/loader/asm.js';
import { closeExplain, explainProgram, PREFIX_STEPS } from '../../src/smt/explain/index.js';

afterAll(async () => {
  await closeExplain();
});

/** 4,000 iterations of a 6-insn body (r6 counts, r7 mixes), then `tail`. */
function afterLoop(head: string[], tail: string[]): string {
  return ['.type xdp', '    r2 = *(u32 *)(r1 +0)', '    r3 = *(u32 *)(r1 +4)', ...head, '    r6 = 0', '    r7 = 0', 'loop:',
    '    r8 = r6', '    r8 *= 3', '    r7 += r8', '    r7 ^= 5', '    r6 += 1', '    if r6 < 4000 goto loop', ...tail,
    'out:', '    r0 = 2', '    exit'].join('\n') + '\n';
}

/** Proves 14 packet bytes, reads bytes 12..15: a real out-of-bounds read. */
const REAL = afterLoop([], ['    r4 = r2', '    r4 += 14', '    if r4 > r3 goto out', '    r0 = *(u32 *)(r2 +12)']);
/** Checks the length as a scalar (the verifier does not tie it to R2): a false alarm at the end. */
const FALSE_AT_END = afterLoop([], ['    r5 = r3', '    r5 -= r2', '    if r5 < 20 goto out', '    r0 = *(u32 *)(r2 +12)']);
/** Goes on with length <= 100 and >= 200 before the loop: no input follows the path's first prefix. */
const FALSE_EARLY = afterLoop(['    r5 = r3', '    r5 -= r2', '    if r5 > 100 goto out', '    r4 = r2', '    r4 += 200', '    if r4 > r3 goto out'],
  ['    r0 = *(u32 *)(r2 +300)']);

const prog = (text: string) => loadAsmProgram(text, 'long-path.s', {});

describe('explain on paths longer than 20,000 instructions', () => {
  it('a real out-of-bounds read after the loop: feasible, with a counterexample the VM reproduces', async () => {
    const e = await explainProgram(prog(REAL), { noImprecision: true });
    expect(e.path.length).toBeGreaterThan(20_000);
    expect(e.feasible).toBe(true);
    expect(e.replay?.reproduced).toBe(true);
  });

  it('a false alarm at the failing step: decided after every prefix is found satisfiable', async () => {
    const e = await explainProgram(prog(FALSE_AT_END), { noImprecision: true });
    expect(e.path.length).toBeGreaterThan(20_000);
    expect(e.feasible).toBe(false);
    expect(e.reason).toMatch(/is impossible on this path/);
  });

  it('an infeasible branch before the loop: decided at the first prefix, without encoding the rest', async () => {
    const e = await explainProgram(prog(FALSE_EARLY), { noImprecision: true });
    expect(e.path.length).toBeGreaterThan(20_000);
    expect(e.feasible).toBe(false);
    expect(e.reason).toContain(`its first ${PREFIX_STEPS} of ${e.path.length} steps cannot all happen`);
  });

  it('out of time: undecided, naming the steps reached', async () => {
    const e = await explainProgram(prog(REAL), { noImprecision: true, pathBudgetMs: 0 });
    expect(e.feasible).toBeNull();
    expect(e.reason).toMatch(new RegExp(`bound reached: ${PREFIX_STEPS} of the path's \\d+ steps encoded`));
    expect(e.bound).toMatchObject({ prefixSteps: PREFIX_STEPS, pathBudgetMs: 0 });
  });
});

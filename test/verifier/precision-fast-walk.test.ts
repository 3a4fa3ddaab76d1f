/**
 * markChain passes the history entries backtracking cannot change with one table lookup (see
 * passMask in src/verifier/precision.ts), except at log level 2, which prints every entry walked
 * and so takes backtrack() for each. The precision marks the checkpoints receive must be the same
 * either way: this compares them, instruction by instruction, between a run at log level 2 and a
 * run without a log, over programs that walk through stack slots, linked registers, subprogram
 * calls and exits, atomic fetches and pointer compares, and over structured fuzz programs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { caseArb } from '../../src/fuzz/campaign.js';
import { FUZZ_VERIFY_OPTIONS } from '../../src/fuzz/oracles/types.js';
import type { Program } from '../../src/isa/program.js';
import { verify } from '../../src/verifier/index.js';
import type { VerifyOptions } from '../../src/verifier/options.js';
import type { VState } from '../../src/verifier/state.js';
import { prog } from '../runtime/util.js';

/** The precise marks of every checkpoint above the current state, one line per instruction. */
function marksTrail(p: Program, base: VerifyOptions, logLevel2: boolean): { trail: string[]; marks: number; verdict: string } {
  const trail: string[] = [];
  let marks = 0;
  const onInsn = (pc: number, st: VState): void => {
    let line = `${pc}:`;
    for (let cp = st.parent; cp; cp = cp.parent) {
      for (const f of cp.st.frames) {
        let bits = '';
        for (const r of f.regs) bits += r.precise ? '1' : '0';
        for (let k = 0; k < f.spills.length; k++) if (f.spills[k]?.precise) bits += `,${k}`;
        line += ` ${bits}`;
        marks += bits.split('1').length - 1;
      }
      line += ' |';
    }
    trail.push(line);
  };
  const r = verify(p, logLevel2 ? { ...base, log: true, logLevel: 2, onInsn } : { ...base, onInsn });
  return { trail, marks, verdict: r.verdict };
}

function sameMarks(p: Program, base: VerifyOptions = {}): number {
  const slow = marksTrail(p, base, true);
  const fast = marksTrail(p, base, false);
  expect(fast.verdict).toBe(slow.verdict);
  expect(fast.trail).toEqual(slow.trail);
  return slow.marks;
}

// Each branches on unknown values (get_prandom_u32) so that checkpoints (test_state_freq) lie
// between the marked use and the values' sources.
const programs: [string, string][] = [
  ['a spilled bound used as a pointer offset', `call 7
r1 = 8
*(u64 *)(r10 -8) = r1
r2 = 1
if r0 > 3 goto +1
r2 = 2
r3 = 2
r4 = r2
r4 += r3
if r0 > 5 goto +0
r5 = *(u64 *)(r10 -8)
r6 = r10
r6 += -16
r6 += r5
r6 += r4
r0 = 0
exit`],
  ['an atomic fetch of a slot, then a branch on it', `call 7
r1 = 8
*(u64 *)(r10 -8) = r1
r2 = 0
if r0 > 3 goto +0
r2 = atomic64_fetch_add((u64 *)(r10 -8), r2)
r7 = r0
if r7 == 2 goto +0
r3 = r10
r3 += -16
r3 += r2
r0 = 0
exit`],
  ['linked registers refined by a branch', `call 7
r0 &= 15
r1 = r0
r2 = r0
r9 = 3
if r0 == 3 goto +0
*(u64 *)(r10 -8) = r2
if r1 > 7 goto +4
r3 = r10
r3 += -16
r4 = *(u64 *)(r10 -8)
r3 += r4
r0 = 0
exit`],
  ['a subprogram returns a bound', `call 7
r6 = r0
r1 = 4
if r6 > 1 goto +1
r1 = 6
call pc+5
r2 = r10
r2 += -16
r2 += r0
r0 = r6
exit
r7 = 3
if r7 > 1 goto +0
r0 = r1
r0 += 1
exit`],
];

describe('precision marks with and without the level 2 walk', () => {
  for (const [name, text] of programs) {
    it(name, () => {
      expect(sameMarks({ ...prog(text), name: name.replace(/\W+/g, '_') }, { testStateFreq: true })).toBeGreaterThan(0);
    });
  }

  it('60 structured fuzz programs', () => {
    const cases = fc.sample(caseArb({ structured: 1 }), { numRuns: 60, seed: 14 });
    let marks = 0;
    for (const c of cases) marks += sameMarks(c.program, FUZZ_VERIFY_OPTIONS);
    expect(marks).toBeGreaterThan(200);
  }, 120_000);
});

/**
 * The explored-state buckets (explored_state: `(idx ^ callsite) % state_htab_size`): sameBucket,
 * which is given the innermost frames' call sites (a checkpoint keeps its own), agrees with the
 * bucket of each state, for the main frame's -1 (taken unsigned, as the kernel's u32 modulo) too.
 */
import { describe, expect, it } from 'vitest';
import { sameBucket, stateBucket } from '../../src/verifier/state-buckets.js';
import { newFrame, newState } from '../../src/verifier/state.js';
import { getDomain } from '../../src/verifier/domains/index.js';

const unknown = getDomain('kernel').unknown();
const stateAt = (callsite: number) => newState(newFrame(unknown, callsite, 0), 0, -1, false);

describe('sameBucket', () => {
  it('is the equality of the two states\' buckets', () => {
    let collisions = 0;
    for (const progLen of [1, 7, 56, 300])
      for (let pc = 0; pc < progLen; pc += 3)
        for (const ca of [-1, 0, 5, 17, 40])
          for (const cb of [-1, 0, 5, 17, 40]) {
            const want = stateBucket(stateAt(ca), pc, progLen) === stateBucket(stateAt(cb), pc, progLen);
            expect(sameBucket(ca, cb, pc, progLen)).toBe(want);
            if (want && ca !== cb) collisions++;
          }
    // other call sites do share buckets sometimes (the kernel compares those states too)
    expect(collisions).toBeGreaterThan(0);
  });

  it('takes the main frame\'s call site -1 as unsigned', () => {
    // (pc ^ -1) >>> 0 = 0xffffffff - pc: for pc 0 in a 7-insn program, 0xffffffff % 7 = 3
    expect(stateBucket(stateAt(-1), 0, 7)).toBe(0xffffffff % 7);
    expect(sameBucket(-1, 3, 0, 7)).toBe(3 % 7 === 0xffffffff % 7);
  });
});

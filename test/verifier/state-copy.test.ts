/**
 * Copy-on-write stack bytes (state.ts): a copied state shares its frames' byte arrays with the
 * original until one of them writes, and a write on either side never shows through to the other.
 */
import { describe, expect, it } from 'vitest';
import { kernelDomain } from '../../src/verifier/domains/index.js';
import { cloneState, newFrame, writableSlots, type VState } from '../../src/verifier/state.js';

const INVALID = 0, MISC = 2, ZERO = 3; // enum S

function state(): VState {
  const f = newFrame(kernelDomain.unknown(), -1, 0);
  return { frames: [f], refs: [], pc: 0, parent: null, prevPc: -1, hist: [], histx: [], written: [new Uint8Array(64)] };
}

describe('copy-on-write stack bytes', () => {
  it('shares the bytes until a write, then each side keeps its own', () => {
    const a = state();
    writableSlots(a.frames[0]!)[504] = MISC;
    const b = cloneState(a);
    expect(b.frames[0]!.slots).toBe(a.frames[0]!.slots);
    const bs = writableSlots(b.frames[0]!);
    bs[511] = ZERO;
    expect(a.frames[0]!.slots[511]).toBe(INVALID);
    expect(b.frames[0]!.slots[504]).toBe(MISC);
    // The copy is made once: later writes go to the same array.
    expect(writableSlots(b.frames[0]!)).toBe(bs);
    // The original, shared before, copies on its own first write too.
    writableSlots(a.frames[0]!)[0] = ZERO;
    expect(b.frames[0]!.slots[0]).toBe(INVALID);
    expect(a.frames[0]!.slots[511]).toBe(INVALID);
  });

  it('a copy of a copy shares with both until each writes', () => {
    const a = state();
    const b = cloneState(a);
    const c = cloneState(b);
    writableSlots(b.frames[0]!)[100] = MISC;
    expect(a.frames[0]!.slots[100]).toBe(INVALID);
    expect(c.frames[0]!.slots[100]).toBe(INVALID);
    expect(c.frames[0]!.slots).toBe(a.frames[0]!.slots);
  });
});

/**
 * Dynptr and iterator slots keep their description apart from the register fields (Reg.slot),
 * shared by copies of the register and never changed in place: a change through withSlot is a
 * new object, so a checkpoint or pushed branch sharing the old one keeps it. Copy-on-write of
 * spilled registers (forEachRegOf) sees such a change as a change.
 */
import { describe, expect, test } from 'vitest';
import { cloneReg, cloneState, forEachRegOf, newFrame, newReg, newState, setSpill, withSlot } from '../../src/verifier/state.js';
import type { Scalar } from '../../src/verifier/domains/index.js';

// (the scalar part plays no role here)
const unknown = undefined as unknown as Scalar;

describe('stack slot descriptions (Reg.slot)', () => {
  test('a copy shares the description until withSlot gives it a new one; the original keeps its own', () => {
    const r = newReg(unknown);
    expect(r.slot).toBeUndefined();
    withSlot(r, { iterType: 'num', iterState: 1, iterDepth: 0 });
    const copy = cloneReg(r);
    expect(copy.slot).toBe(r.slot);
    withSlot(copy, { iterState: 2, iterDepth: 1 });
    expect(r.slot).toEqual({ dynptrType: undefined, dynptrFirst: undefined, iterType: 'num', iterState: 1, iterDepth: 0 });
    expect(copy.slot).toEqual({ dynptrType: undefined, dynptrFirst: undefined, iterType: 'num', iterState: 2, iterDepth: 1 });
  });

  test('a spilled iterator drained on a copied state stays active in the original (forEachRegOf copies the spill)', () => {
    const f = newFrame(unknown, -1, 0);
    const it = newReg(unknown);
    withSlot(it, { iterType: 'num', iterState: 1, iterDepth: 0 });
    setSpill(f, 60, it);
    const st = newState(f, 0, -1, false);
    const copy = cloneState(st);
    forEachRegOf(copy, (r) => { if (r.slot?.iterState === 1) withSlot(r, { iterState: 2 }); });
    expect(st.frames[0]!.spills[60]!.slot?.iterState).toBe(1);
    expect(copy.frames[0]!.spills[60]!.slot?.iterState).toBe(2);
  });
});

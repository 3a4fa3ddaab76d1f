// Acquired references, held locks and saved IRQ states are compared in every state comparison
// (prune.ts statesEqual, join.ts): made as literals with and without `kind` and `ptr` they were
// three hidden classes, and a kind first met deoptimised the comparisons ("wrong map").
// newRef makes all of them with one field list; cloneState's copies keep it. Compared with V8's
// own %HaveSameMap.
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { cloneState, newFrame, newRef, newState } from '../../src/verifier/state.js';
import type { Scalar } from '../../src/verifier/domains/domain.js';

setFlagsFromString('--allow-natives-syntax');
const sameMap = new Function('a', 'b', 'return %HaveSameMap(a, b);') as (a: unknown, b: unknown) => boolean;
setFlagsFromString('--no-allow-natives-syntax');

describe('RefState hidden class (state.ts newRef)', () => {
  it('is one for pointer references, locks and IRQ states, and for their copies', () => {
    const ptr = newRef(1, 5);
    const lock = newRef(2, 6, 'lock', 0);
    const irq = newRef(3, 7, 'irq');
    expect([ptr.kind, ptr.ptr, lock.kind, lock.ptr, irq.kind, irq.ptr]).toEqual([undefined, undefined, 'lock', 0, 'irq', undefined]);
    expect(sameMap(ptr, lock)).toBe(true);
    expect(sameMap(ptr, irq)).toBe(true);
    const st = newState(newFrame(undefined as unknown as Scalar, -1, 0), 0, -1, false);
    st.refs.push(ptr, lock, irq);
    const copy = cloneState(st);
    expect(copy.refs).toEqual(st.refs);
    for (const r of copy.refs) expect(sameMap(r, ptr)).toBe(true);
  });

  it('keeps one array kind for `refs` (empty or not) and for `frames` (new, copied, snapshot)', () => {
    const st = newState(newFrame(undefined as unknown as Scalar, -1, 0), 0, -1, false);
    const copy = cloneState(st);
    const snapshot = cloneState(st, false);
    const held = cloneState(st);
    held.refs.push(newRef(1, 2));
    expect(sameMap(st.refs, held.refs)).toBe(true);
    expect(sameMap(copy.refs, held.refs)).toBe(true);
    expect(sameMap(cloneState(held).refs, held.refs)).toBe(true);
    expect(sameMap(st.frames, copy.frames)).toBe(true);
    expect(sameMap(st.frames, snapshot.frames)).toBe(true);
  });
});

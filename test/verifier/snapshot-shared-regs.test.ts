/**
 * Checkpoint snapshots (cloneState(st, false)) share the registers they never write (state.ts,
 * snapshotReg): one object for their NOT_INIT registers, and a pointer equal to the previous
 * checkpoint's is that checkpoint's object. Scalars (precision marks are written into them) are
 * still copies, a path's copy (cloneState(st)) still copies every register, and a write to the
 * path's registers after the snapshot never shows in it. Pruning and precision results stay the
 * same (the verdict guards cover that); this pins the sharing itself.
 */
import { describe, expect, it } from 'vitest';
import { kernelDomain } from '../../src/verifier/domains/index.js';
import { T } from '../../src/verifier/reg-types.js';
import { cloneState, newFrame, newState, type Checkpoint, type VState } from '../../src/verifier/state.js';

/** The states' NOT_INIT registers hold this value, as the verifier's all hold env.UNKNOWN. */
const UNKNOWN = kernelDomain.unknown();

function state(): VState {
  const st = newState(newFrame(UNKNOWN, -1, 0), 0, -1, false);
  const regs = st.frames[0]!.regs;
  regs[1]!.type = T.PTR_TO_CTX;
  regs[10]!.type = T.PTR_TO_STACK;
  regs[6]!.type = T.SCALAR;
  regs[6]!.v = kernelDomain.known(7n);
  return st;
}

describe('checkpoint snapshots share NOT_INIT registers', () => {
  it('one object for every NOT_INIT register of equal fields, copies of the others', () => {
    const st = state();
    const snap = cloneState(st, false);
    const s = snap.frames[0]!.regs;
    const o = st.frames[0]!.regs;
    expect(s[0]).toBe(s[2]);
    expect(s[2]).toBe(s[9]);
    expect(s[0]!.type).toBe(T.NOT_INIT);
    for (const r of [1, 6, 10]) {
      expect(s[r]).not.toBe(o[r]);
      expect(s[r]).toEqual(o[r]);
    }
    // A second snapshot of a state with the same fields reuses the object.
    expect(cloneState(state(), false).frames[0]!.regs[3]).toBe(s[0]);
  });

  it("the path's registers stay its own: writing them after the snapshot leaves it unchanged", () => {
    const st = state();
    const snap = cloneState(st, false);
    const r2 = st.frames[0]!.regs[2]!;
    expect(r2).not.toBe(snap.frames[0]!.regs[2]);
    r2.type = T.SCALAR;
    r2.v = kernelDomain.known(1n);
    expect(snap.frames[0]!.regs[2]!.type).toBe(T.NOT_INIT);
    expect(snap.frames[0]!.regs[3]!.type).toBe(T.NOT_INIT);
  });

  it('a NOT_INIT register with other fields gets an object of its own', () => {
    const st = state();
    st.frames[0]!.regs[4]!.off = 8; // not what markNotInit leaves, but copied faithfully
    const s = cloneState(st, false).frames[0]!.regs;
    expect(s[4]!.off).toBe(8);
    expect(s[5]!.off).toBe(0);
    expect(s[4]).not.toBe(s[5]);
  });

  it("a path's copy (with history) copies every register", () => {
    const st = state();
    const c = cloneState(st).frames[0]!.regs;
    expect(c[0]).not.toBe(c[2]);
    for (let r = 0; r < 11; r++) expect(c[r]).not.toBe(st.frames[0]!.regs[r]);
  });

  it("a pointer equal to the previous checkpoint's is that checkpoint's object; scalars are copies", () => {
    const st = state();
    const first = cloneState(st, false);
    st.parent = { st: first, parent: null, branches: 1, hits: 0, misses: 0, insnAt: 0, hist: [], histx: [], live: null, inFreeList: false } satisfies Checkpoint;
    st.frames[0]!.regs[1]!.off = 4; // r1 moved since
    const second = cloneState(st, false);
    const a = first.frames[0]!.regs;
    const b = second.frames[0]!.regs;
    expect(b[10]).toBe(a[10]);
    expect(b[1]).not.toBe(a[1]);
    expect(b[1]!.off).toBe(4);
    expect(b[6]).not.toBe(a[6]);
    expect(b[6]).toEqual(a[6]);
  });
});

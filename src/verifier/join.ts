/**
 * Join and widening of whole states, for the `join` exploration strategy (a research
 * alternative to the kernel's unrolling): registers are joined pointwise, stack bytes that
 * differ become data (or uninitialised), and after a few joins scalar bounds that keep growing
 * jump to their extremes so that every loop head reaches a fixpoint.
 */
import { sectionsEqual } from './locks.js';
import type { Scalar } from './domains/index.js';
import type { Env } from './env.js';
import { T, isPacketPtr } from './reg-types.js';
import { MAX_SPILL_SLOTS, S, cloneReg, cloneState, copyRefs, setSpill, type Frame, type Reg, type VState } from './state.js';

const U64_MAX = (1n << 64n) - 1n;
const U32_MAX = (1n << 32n) - 1n;

/** Widening: bounds of `b` that moved beyond `a` go to the extreme; a changed tnum becomes unknown. */
function widenScalar(env: Env, a: Scalar, j: Scalar): Scalar {
  const w = {
    value: j.value, mask: j.mask,
    umin: j.umin < a.umin ? 0n : j.umin, umax: j.umax > a.umax ? U64_MAX : j.umax,
    smin: BigInt.asIntN(64, j.smin) < BigInt.asIntN(64, a.smin) ? 1n << 63n : j.smin,
    smax: BigInt.asIntN(64, j.smax) > BigInt.asIntN(64, a.smax) ? (1n << 63n) - 1n : j.smax,
    u32min: j.u32min < a.u32min ? 0n : j.u32min, u32max: j.u32max > a.u32max ? U32_MAX : j.u32max,
    s32min: BigInt.asIntN(32, j.s32min) < BigInt.asIntN(32, a.s32min) ? 1n << 31n : j.s32min,
    s32max: BigInt.asIntN(32, j.s32max) > BigInt.asIntN(32, a.s32max) ? (1n << 31n) - 1n : j.s32max,
  };
  if (j.mask !== a.mask || j.value !== a.value) { w.value = 0n; w.mask = U64_MAX; }
  // Re-synchronise the components (x + 0 runs reg_bounds_sync).
  return env.dom.alu('add', false, w, env.ZERO);
}

function joinReg(env: Env, a: Reg, b: Reg, widen: boolean): Reg {
  const out = cloneReg(a);
  const d = env.dom;
  if (a.type === T.NOT_INIT || b.type !== a.type || a.refObjId !== b.refObjId || a.map !== b.map ||
    a.frameno !== b.frameno || a.memSize !== b.memSize) {
    env.markNotInit(out);
    return out;
  }
  let av = a.v;
  let bv = b.v;
  if (a.type !== T.SCALAR && a.off !== b.off) {
    const lo = Math.min(a.off, b.off);
    av = d.ptrAdd(a.v, d.known(BigInt(a.off - lo)));
    bv = d.ptrAdd(b.v, d.known(BigInt(b.off - lo)));
    out.off = lo;
  }
  const j = d.join(av, bv);
  out.v = widen ? widenScalar(env, av, j) : j;
  if (a.id !== b.id || (a.type === T.SCALAR && a.off !== b.off)) {
    out.id = isPacketPtr(a.type) || a.type !== T.SCALAR ? env.newId() : 0;
    if (a.type === T.SCALAR) out.off = 0;
  }
  if (isPacketPtr(a.type)) out.range = Math.min(a.range, b.range);
  return out;
}

function joinFrame(env: Env, a: Frame, b: Frame, widen: boolean): Frame {
  const f: Frame = {
    regs: a.regs.map((r, i) => joinReg(env, r, b.regs[i]!, widen)),
    slots: a.slots.slice(),
    ownSlots: true,
    spills: a.spills.map(() => undefined),
    ownSpills: true,
    ownSpill: null,
    spillLow: MAX_SPILL_SLOTS,
    depth: Math.max(a.depth, b.depth),
    callsite: a.callsite,
    subprog: a.subprog,
    cbRet: undefined,
    callbackDepth: 0,
  };
  const slots = f.slots as Uint8Array; // the frame's own copy, made just above
  const init = (st: number, sp: Reg | undefined): boolean => st === S.MISC || st === S.ZERO || (st === S.SPILL && sp?.type === T.SCALAR);
  for (let k = 0; k < a.spills.length; k++) {
    const sa = a.spills[k];
    const sb = b.spills[k];
    let spill: Reg | undefined;
    if (sa && sb) {
      const j = joinReg(env, sa, sb, widen);
      if (j.type !== T.NOT_INIT) spill = j;
    }
    for (let i = k * 8; i < k * 8 + 8; i++) {
      const x = a.slots[i]!;
      const y = b.slots[i]!;
      if (x === y && (x !== S.SPILL || spill)) continue;
      slots[i] = init(x, sa) && init(y, sb) ? S.MISC : S.INVALID;
    }
    if (spill && f.slots[k * 8] === S.SPILL) setSpill(f, k, spill);
    else for (let i = k * 8; i < k * 8 + 8; i++) if (slots[i] === S.SPILL) slots[i] = S.MISC;
  }
  return f;
}

/** The join (or widening) of two states at the same loop head; `b` unchanged when they cannot be joined. */
export function joinStates(env: Env, a: VState, b: VState, pc: number, widen: boolean): VState {
  const sameRefs = a.refs.length === b.refs.length && a.refs.every((r, i) => r.id === b.refs[i]!.id && r.kind === b.refs[i]!.kind && r.ptr === b.refs[i]!.ptr)
    && sectionsEqual(a, b);
  if (!sameRefs || a.frames.length !== b.frames.length) return cloneState(b);
  const joined: VState = {
    frames: a.frames.map((f, i) => joinFrame(env, f, b.frames[i]!, widen)),
    refs: copyRefs(a.refs),
    pc,
    parent: b.parent,
    prevPc: b.prevPc,
    hist: b.hist.slice(),
    histx: b.histx.slice(),
    histS: b.histS?.slice(),
    jmpHistory: 0,
    mayGotoDepth: 0,
    callbackUnrollDepth: 0,
    rcuLocks: b.rcuLocks,
    preemptLocks: b.preemptLocks,
  };
  return joined;
}

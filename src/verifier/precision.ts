/**
 * Precision tracking (the kernel's mark_chain_precision / backtrack_insn): scalars are compared
 * during pruning only when some decision depended on their value (a branch decided by it, a
 * pointer offset, a helper size, a checked return value). When such a decision is made, the
 * instructions of the current path are walked backwards to find the registers and stack slots
 * the value came from, and those are marked precise in every checkpoint on the way.
 *
 * History entries: `hist[i]` is a pc; `histx[i]` is 0, or a stack slot code (1 + frame * 64 +
 * slot) for a fixed-offset stack access, or LINKED | regmask for a conditional jump that
 * refined registers linked by id. Crossing a bpf-to-bpf call or exit, atomics and legacy packet
 * loads fall back to marking every scalar precise (as the kernel's mark_all_scalars_precise).
 */
import * as op from '../isa/opcodes.js';
import type { Env } from './env.js';
import { T } from './reg-types.js';
import type { Checkpoint, VState } from './state.js';

export const LINKED = 1 << 30;
/** A conditional jump refined linked scalars that bpflab cannot name in a register mask (spilled copies). */
export const LINKED_SPILL = 1 << 29;
const SLOTS = 64;

export const stackSlotCode = (frame: number, slot: number): number => 1 + frame * SLOTS + slot;

interface Bt {
  regs: number;
  slots: Set<number>;
}

/** Mark every scalar precise in the state and all its checkpoints. */
function markAll(env: Env, st: VState): void {
  const mark = (s: VState): void => {
    for (const f of s.frames) {
      for (const r of f.regs) if (r.type === T.SCALAR) r.precise = true;
      for (const r of f.spills) if (r?.type === T.SCALAR) r.precise = true;
    }
  };
  mark(st);
  for (let p: Checkpoint | null = st.parent; p; p = p.parent) mark(p.st);
  void env;
}

/** mark_all_scalars_imprecise: forget the precision marks of every scalar of `st`. */
export function markAllImprecise(st: VState): void {
  for (const f of st.frames) {
    for (const r of f.regs) r.precise = false;
    for (const r of f.spills) if (r) r.precise = false;
  }
}

/** Walks one instruction backwards; false when precision cannot be tracked through it. */
function backtrack(env: Env, pc: number, extra: number, bt: Bt): boolean {
  const ins = env.insns[pc]!;
  const c = op.cls(ins.code);
  const d = 1 << ins.dst;
  const s = 1 << ins.src;
  switch (c) {
    case op.BPF_ALU:
    case op.BPF_ALU64: {
      if (!(bt.regs & d)) return true;
      const o = op.aluOp(ins.code);
      if (o === op.BPF_NEG || o === op.BPF_END) return true;
      const x = op.srcBit(ins.code) === op.BPF_X;
      if (o === op.BPF_MOV) { bt.regs &= ~d; if (x) bt.regs |= s; } else if (x) bt.regs |= s;
      return true;
    }
    case op.BPF_LDX:
      if (!(bt.regs & d)) return true;
      bt.regs &= ~d;
      if (extra > 0 && extra < LINKED_SPILL) bt.slots.add(extra);
      return true;
    case op.BPF_ST:
    case op.BPF_STX:
      if (op.mode(ins.code) === op.BPF_ATOMIC) return bt.regs === 0 && bt.slots.size === 0;
      if (extra > 0 && extra < LINKED_SPILL && bt.slots.has(extra)) {
        bt.slots.delete(extra);
        if (c === op.BPF_STX) bt.regs |= s;
      }
      return true;
    case op.BPF_LD:
      if (ins.code === op.BPF_LD_IMM64) { bt.regs &= ~d; return true; }
      return false; // legacy packet loads
    case op.BPF_JMP:
    case op.BPF_JMP32: {
      const o = op.jmpOp(ins.code);
      if (o === op.BPF_JA) return true;
      if (o === op.BPF_EXIT) return false;
      if (o === op.BPF_CALL) {
        if (ins.src === op.BPF_PSEUDO_CALL) return false;
        if (bt.regs & 0x3e) return false; // r1-r5 cannot be read after a call
        bt.regs &= ~1;
        return true;
      }
      if (extra & LINKED_SPILL) return false;
      const x = op.srcBit(ins.code) === op.BPF_X;
      let involved = d | (x ? s : 0);
      if (extra & LINKED) involved |= extra & 0x7ff;
      if (bt.regs & involved) bt.regs |= involved;
      return true;
    }
  }
  return true;
}

/**
 * mark_chain_precision for registers `regMask` and stack slot codes `slots` of the current
 * frame of env.cur.
 */
export function markPrecise(env: Env, regMask: number, slots: readonly number[] = []): void {
  const cur = env.cur;
  const fi = cur.frames.length - 1;
  const f = cur.frames[fi]!;
  for (let r = 0; r <= 10; r++) if (regMask & (1 << r) && f.regs[r]!.type === T.SCALAR) f.regs[r]!.precise = true;
  const bt: Bt = { regs: regMask & 0x3ff, slots: new Set(slots) };
  let hist = cur.hist;
  let histx = cur.histx;
  let parent = cur.parent;
  for (;;) {
    for (let i = hist.length - 1; i >= 0; i--) {
      if (!backtrack(env, hist[i]!, histx[i]!, bt)) { markAll(env, cur); return; }
      if (bt.regs === 0 && bt.slots.size === 0) return;
    }
    if (!parent) return;
    const st = parent.st;
    if (st.frames.length - 1 !== fi) { markAll(env, cur); return; }
    const pf = st.frames[fi]!;
    // As the kernel: a value already precise in this checkpoint had its sources marked when it
    // became precise, so it stops being tracked; the others are marked and followed further back.
    for (let r = 0; r <= 10; r++) {
      if (!(bt.regs & (1 << r))) continue;
      const reg = pf.regs[r]!;
      if (reg.type !== T.SCALAR || reg.precise) { bt.regs &= ~(1 << r); continue; }
      reg.precise = true;
    }
    for (const code of bt.slots) {
      const frame = Math.floor((code - 1) / SLOTS);
      const sp = st.frames[frame]?.spills[(code - 1) % SLOTS];
      if (!sp || sp.type !== T.SCALAR || sp.precise) { bt.slots.delete(code); continue; }
      sp.precise = true;
    }
    if (bt.regs === 0 && bt.slots.size === 0) return;
    hist = parent.hist;
    histx = parent.histx;
    parent = parent.parent;
  }
}

/** propagate_precision: a path pruned against `old` inherits the precision the old state's future needed. */
export function propagatePrecision(env: Env, old: VState): void {
  const cur = env.cur;
  const n = old.frames.length;
  let mask = 0;
  const slots: number[] = [];
  for (let fi = 0; fi < n; fi++) {
    const f = old.frames[fi]!;
    let any = false;
    for (let r = 0; r <= 10; r++) if (f.regs[r]!.type === T.SCALAR && f.regs[r]!.precise) { any = true; if (fi === n - 1) mask |= 1 << r; }
    f.spills.forEach((sp, k) => { if (sp?.type === T.SCALAR && sp.precise) { any = true; slots.push(stackSlotCode(fi, k)); } });
    if (any && fi !== n - 1) { markAll(env, cur); return; }
  }
  if (mask || slots.length) markPrecise(env, mask, slots);
}

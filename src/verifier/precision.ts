/**
 * Precision tracking (the kernel's mark_chain_precision / backtrack_insn): scalars are compared
 * during pruning only when some decision depended on their value (a branch decided by it, a
 * pointer offset, a helper size, a checked return value). When such a decision is made, the
 * instructions of the current path are walked backwards to find the registers and stack slots
 * the value came from, and those are marked precise in every checkpoint on the way.
 *
 * History entries: `hist[i]` is a pc; `histx[i]` is 0, or a stack slot code (1 + frame * 64 +
 * slot) for a fixed-offset stack access, or LINKED | regmask for a conditional jump that
 * refined registers linked by id. Registers are tracked per frame through bpf-to-bpf calls and
 * exits (r0 into the callee, r1-r5 back to the caller). An atomic fetch is a load into its src
 * (r0 for cmpxchg). Legacy packet loads and callbacks fall back to marking every scalar precise
 * (the kernel's mark_all_scalars_precise).
 */
import * as op from '../isa/opcodes.js';
import { isLoadAcquire } from '../isa/ordered-access.js';
import type { Insn } from '../isa/insn.js';
import type { Env } from './env.js';
import { isCallbackCall } from './callback-helpers.js';
import { T } from './reg-types.js';
import { slotAlive } from './stack-liveness.js';
import { MAX_CALL_FRAMES, writableSpill, type Checkpoint, type VState } from './state.js';
import { SlotSet } from './slot-set.js';

export const LINKED = 1 << 30;
/** A conditional jump refined linked scalars beyond the current frame's registers (spilled copies, callers' registers): LINKED_SET | index of the set. */
const LINKED_SET = 1 << 29;
/**
 * INSN_F_SRC_REG_STACK / INSN_F_DST_REG_STACK: a register compared by a conditional jump was a
 * stack pointer (r10 or a copy), which has no precision to track: backtracking skips it.
 */
export const JMP_SRC_STACK = 1 << 27;
export const JMP_DST_STACK = 1 << 28;
const SET_INDEX = JMP_SRC_STACK - 1;
const SLOTS = 64;

/** One linked scalar: frame, and register number or stack slot index (the kernel's struct linked_reg). */
export const linkedEntry = (frame: number, regOrSlot: number, isReg: boolean): number => frame * 128 + (isReg ? 0 : 64) + regOrSlot;

/** The history code of a linked set (entries from linkedEntry). */
export function linkedSetCode(env: Env, set: readonly number[]): number {
  // Per verification: the linked sets the jump history refers to.
  const sets = (env.linkedSets ??= []);
  sets.push(set);
  return LINKED_SET | (sets.length - 1);
}

/** bt_sync_linked_regs: when one scalar of the set is tracked, all of them are. */
function syncLinked(set: readonly number[]): void {
  let some = false;
  for (const e of set) {
    const f = e >> 7;
    const k = e & 63;
    if (e & 64 ? bt.slots.has(stackSlotCode(f, k)) : bt.regs[f]! & (1 << k)) { some = true; break; }
  }
  if (!some) return;
  for (const e of set) {
    const f = e >> 7;
    const k = e & 63;
    if (e & 64) bt.slots.add(stackSlotCode(f, k));
    else bt.regs[f] = bt.regs[f]! | (1 << k);
  }
}

export const stackSlotCode = (frame: number, slot: number): number => 1 + frame * SLOTS + slot;

/**
 * The backtracking state (the kernel's struct backtrack_state): the frame being walked, a
 * register mask per frame, and the stack slot codes (frame-absolute). Reused between calls.
 */
interface Bt {
  frame: number;
  regs: Int32Array;
  slots: SlotSet;
}
const bt: Bt = { frame: 0, regs: new Int32Array(MAX_CALL_FRAMES + 1), slots: new SlotSet(MAX_CALL_FRAMES + 1) };

/** bt_reset: nothing tracked (a loop rather than fill(): the array has MAX_CALL_FRAMES + 1 entries). */
function btClear(): void {
  const regs = bt.regs;
  for (let f = 0; f < regs.length; f++) regs[f] = 0;
  bt.slots.clear();
}

function btEmpty(): boolean {
  if (bt.slots.size) return false;
  for (let f = 0; f <= bt.frame; f++) if (bt.regs[f]) return false;
  return true;
}

const NO_SLOTS: readonly number[] = [];

const slotFrame = (code: number): number => Math.floor((code - 1) / SLOTS);

/** Some tracked stack slot lies in frame `fr` or deeper. */
const slotsFromFrame = (fr: number): boolean => bt.slots.next(stackSlotCode(fr, 0)) !== 0;

/** Mark every scalar precise in the state and all its checkpoints. */
function markAll(st: VState): void {
  markAllScalars(st);
  for (let p: Checkpoint | null = st.parent; p; p = p.parent) markAllScalars(p.st);
}

function markAllScalars(s: VState): void {
  for (const f of s.frames) {
    for (const r of f.regs) if (r.type === T.SCALAR) r.precise = true;
    for (let k = f.spillLow; k < f.spills.length; k++) if (f.spills[k]?.type === T.SCALAR && !f.spills[k]!.precise) writableSpill(f, k).precise = true;
  }
}

/** mark_all_scalars_imprecise: forget the precision marks of every scalar of `st`. */
export function markAllImprecise(st: VState): void {
  for (const f of st.frames) {
    for (const r of f.regs) r.precise = false;
    for (let k = f.spillLow; k < f.spills.length; k++) if (f.spills[k]?.precise) writableSpill(f, k).precise = false;
  }
}

/** BPF_LDX (and a load-acquire): the loaded register no longer needs precision, its stack slot does. */
function backtrackLoad(b: Bt, fr: number, m: number, d: number, extra: number): boolean {
  if (!(m & d)) return true;
  b.regs[fr] = m & ~d;
  if (extra > 0 && extra < LINKED_SET) b.slots.add(extra);
  return true;
}

/**
 * Walks instruction `pc` backwards (`subseq`: the instruction the path executed after it);
 * false when precision cannot be tracked through it (the caller then marks everything).
 */
/** backtrack_insn across a call or an exit: into the callee, back out to the caller, or through a helper. */
function backtrackCallExit(env: Env, ins: Insn, o: number, pc: number, subseq: number, fr: number, m: number): boolean {
  if (o === op.BPF_EXIT) {
    // From the caller back into the callee that returned to it (bt_subprog_enter). After a
    // subprogram the caller's r0 is the callee's; a callback returns to the helper call that
    // runs it, which sets r1-r5 and r0 itself, so nothing follows into the callback.
    const toCallback = isCallbackCall(env.insns[subseq]);
    const mm = toCallback ? m & ~0x3e : m;
    if (mm & 0x3e || fr + 1 >= MAX_CALL_FRAMES) return false;
    const prev = env.insns[subseq - 1];
    const r0 = !toCallback && prev?.code === (op.BPF_JMP | op.BPF_CALL) && prev.src === op.BPF_PSEUDO_CALL ? mm & 1 : 0;
    if (!toCallback && !(prev?.code === (op.BPF_JMP | op.BPF_CALL) && prev.src === op.BPF_PSEUDO_CALL)) return false;
    bt.regs[fr] = mm & ~1;
    bt.frame = fr + 1;
    bt.regs[fr + 1] = r0;
    return true;
  }
  // BPF_CALL
  if (ins.src === op.BPF_PSEUDO_CALL && subseq !== pc + 1) {
    // From the callee's first instruction back to the call (bt_subprog_exit): the callee's
    // r1-r5 are the caller's; nothing else of the callee's frame existed before the call.
    if (fr === 0 || m & ~0x3e) return false;
    if (slotsFromFrame(fr)) return false;
    bt.regs[fr] = 0;
    bt.frame = fr - 1;
    bt.regs[fr - 1] = bt.regs[fr - 1]! | m;
    return true;
  }
  if (subseq !== pc + 1 && isCallbackCall(ins)) {
    // From the callback's first instruction back to the helper that ran it: the callback's
    // r1-r5 came from the helper, not from the caller's registers, and it had no stack yet.
    if (fr === 0 || m & ~0x3e) return false;
    if (slotsFromFrame(fr)) return false;
    bt.regs[fr] = 0;
    bt.frame = fr - 1;
    return true;
  }
  // A helper, kfunc or global function: r0 is its result; r1-r5 cannot be read after it.
  if (subseq !== pc + 1 || m & 0x3e) return false;
  bt.regs[fr] = m & ~1;
  return true;
}

function backtrack(env: Env, pc: number, subseq: number, extra: number): boolean {
  const ins = env.insns[pc]!;
  const c = op.cls(ins.code);
  const d = 1 << ins.dst;
  const s = 1 << ins.src;
  const fr = bt.frame;
  const m = bt.regs[fr]!;
  switch (c) {
    case op.BPF_ALU:
    case op.BPF_ALU64: {
      if (!(m & d)) return true;
      const o = op.aluOp(ins.code);
      if (o === op.BPF_NEG || o === op.BPF_END) return true;
      const x = op.srcBit(ins.code) === op.BPF_X;
      if (o === op.BPF_MOV) bt.regs[fr] = (m & ~d) | (x ? s : 0);
      else if (x) bt.regs[fr] = m | s;
      return true;
    }
    case op.BPF_LDX:
      return backtrackLoad(bt, fr, m, d, extra);
    case op.BPF_ST:
    case op.BPF_STX:
      // A load-acquire is a load (is_atomic_load_insn).
      if (isLoadAcquire(ins)) return backtrackLoad(bt, fr, m, d, extra);
      // An atomic fetch loads the old value into src (r0 for cmpxchg): a load from its slot too,
      // and nothing else (is_atomic_fetch_insn, the stable fix 179ee84a8911 in the running 6.18.44).
      if (op.cls(ins.code) === op.BPF_STX && op.mode(ins.code) === op.BPF_ATOMIC && ins.imm & op.BPF_FETCH)
        return backtrackLoad(bt, fr, m, ins.imm === op.BPF_CMPXCHG ? 1 : s, extra);
      // A scalar used as the address: pointer arithmetic backtracking cannot follow (-ENOTSUPP).
      if (m & d) return false;
      if (extra > 0 && extra < LINKED_SET && bt.slots.size !== 0 && bt.slots.has(extra)) {
        bt.slots.delete(extra);
        if (c === op.BPF_STX) bt.regs[fr] = m | s;
      }
      return true;
    case op.BPF_LD:
      if (!(m & d)) return true;
      bt.regs[fr] = m & ~d;
      return ins.code === op.BPF_LD_IMM64; // a legacy packet load's result: not followed (the kernel's -ENOTSUPP)
    case op.BPF_JMP:
    case op.BPF_JMP32: {
      const o = op.jmpOp(ins.code);
      if (o === op.BPF_JA) return true;
      if (o === op.BPF_EXIT || o === op.BPF_CALL) return backtrackCallExit(env, ins, o, pc, subseq, fr, m);
      const x = op.srcBit(ins.code) === op.BPF_X;
      if (extra & LINKED_SET) {
        const set = env.linkedSets![extra & SET_INDEX]!;
        syncLinked(set);
        const xm = (extra & JMP_DST_STACK ? 0 : d) | (x && !(extra & JMP_SRC_STACK) ? s : 0);
        if (bt.regs[fr]! & xm) bt.regs[fr] = bt.regs[fr]! | xm;
        syncLinked(set);
        return true;
      }
      let involved = (extra & JMP_DST_STACK ? 0 : d) | (x && !(extra & JMP_SRC_STACK) ? s : 0);
      if (extra & LINKED) involved |= extra & 0x7ff;
      if (m & involved) bt.regs[fr] = m | involved;
      return true;
    }
  }
  return true;
}

/**
 * What backtracking through an instruction can change, per pc (bits as in passMask): most
 * instructions of a walked history neither write a tracked register nor touch tracked slots, and
 * the walk passes them with one lookup instead of backtrack().
 */
const PASS_NEVER = 1 << 30;
/** A store: it also passes when the slot its history entry names (if any) is not tracked. */
const PASS_STORE = 1 << 29;
/** A conditional jump: it also passes when its history entry links no tracked register (and no set). */
const PASS_JUMP = 1 << 28;
/** A call: it also passes only when the path went on to the next instruction (not into a subprogram or callback). */
const PASS_CALL = 1 << 27;
const PASS_FLAGS = PASS_NEVER | PASS_STORE | PASS_JUMP | PASS_CALL;

/**
 * Registers (bits 0-10) such that backtrack(pc) changes nothing while none of them is tracked in
 * the frame being walked, plus what else passing it needs (PASS_*); mirrors backtrack() case by case.
 */
function passMask(ins: Insn): number {
  const d = 1 << ins.dst;
  const s = 1 << ins.src;
  switch (op.cls(ins.code)) {
    case op.BPF_ALU:
    case op.BPF_ALU64: {
      const o = op.aluOp(ins.code);
      return o === op.BPF_NEG || o === op.BPF_END ? 0 : d;
    }
    case op.BPF_LDX:
    case op.BPF_LD:
      return d;
    case op.BPF_ST:
    case op.BPF_STX:
      if (isLoadAcquire(ins)) return d;
      if (op.cls(ins.code) === op.BPF_STX && op.mode(ins.code) === op.BPF_ATOMIC && ins.imm & op.BPF_FETCH) return ins.imm === op.BPF_CMPXCHG ? 1 : s;
      return d | PASS_STORE;
    case op.BPF_JMP:
    case op.BPF_JMP32: {
      const o = op.jmpOp(ins.code);
      if (o === op.BPF_JA) return 0;
      if (o === op.BPF_EXIT) return PASS_NEVER;
      // r0 is the result of a helper, kfunc or global function, r1-r5 its arguments
      if (o === op.BPF_CALL) return 0x3f | PASS_CALL;
      return d | (op.srcBit(ins.code) === op.BPF_X ? s : 0) | PASS_JUMP;
    }
  }
  return 0;
}

/**
 * An instruction whose passMask `q` has PASS_* bits: backtrack() would change nothing (`m`: the
 * registers tracked in the frame being walked).
 */
function passes(q: number, pc: number, subseq: number, extra: number, m: number): boolean {
  if (q & m) return false;
  if (q & PASS_STORE) return !(extra > 0 && extra < LINKED_SET && bt.slots.size !== 0 && bt.slots.has(extra));
  if (q & PASS_JUMP) return !(extra & LINKED_SET) && !(extra & LINKED && m & extra & 0x7ff);
  if (q & PASS_CALL) return subseq === pc + 1;
  return false;
}

/**
 * passMask per pc, filled as the walks reach instructions: shared by every verification (no
 * table per program), an entry valid for the one whose number (Env.btPassGen) it carries.
 */
let passOf = new Int32Array(1024);
let passGenOf = new Int32Array(1024);
let passGens = 0;

function passGen(env: Env): number {
  if (env.btPassGen !== 0) return env.btPassGen;
  if (passGens === 0x7fffffff) { passGens = 0; passGenOf.fill(0); }
  const n = env.insns.length;
  if (n > passOf.length) {
    // (new stamps are all 0: every entry is made again, for another verification in progress too)
    const size = Math.max(n, passOf.length * 2);
    passOf = new Int32Array(size);
    passGenOf = new Int32Array(size);
  }
  return (env.btPassGen = ++passGens);
}

/**
 * mark_chain_precision for registers `regMask` and stack slot codes `slots` of the current
 * frame of env.cur.
 */
export function markPrecise(env: Env, regMask: number, slots: readonly number[] = NO_SLOTS): void {
  if (env.precisionUnused) return;
  const cur = env.cur;
  const fi = cur.frames.length - 1;
  const f = cur.frames[fi]!;
  // As __mark_chain_precision: the current state itself is not marked ("precision tracking in the current state is unnecessary"); its checkpoints are.
  btClear();
  bt.regs[fi] = regMask & 0x3ff;
  for (let i = 0; i < slots.length; i++) bt.slots.add(slots[i]!);
  markChain(env, fi);
}

/** The kernel's "regs=r1,r2 stack=-8" of the tracked set in frame `fr` (log level 2). */
function btText(fr: number): string {
  const regs: string[] = [];
  for (let r = 0; r <= 10; r++) if (bt.regs[fr]! & (1 << r)) regs.push(`r${r}`);
  // fmt_stack_mask: slot 0 (fp-8) first
  const stack: number[] = [];
  for (let code = bt.slots.next(1); code !== 0; code = bt.slots.next(code + 1)) if (slotFrame(code) === fr) stack.push(((code - 1) % SLOTS) * 8 - 512);
  stack.sort((a, b) => b - a);
  return `regs=${regs.join(',')} stack=${stack.join(',')}`;
}

/** __mark_chain_precision with `bt` set for frame `fi` (the current one): walks the history back. */
function markChain(env: Env, fi: number): void {
  const cur = env.cur;
  bt.frame = fi;
  if (btEmpty()) return;
  const log = env.opts.logLevel === 2 ? env.log : undefined;
  // (level 2 logs every instruction walked: no shortcut there)
  const gen = log ? 0 : passGen(env);
  const pass = passOf;
  const stamps = passGenOf;
  const insns = env.insns;
  let hist = cur.hist;
  let histx = cur.histx;
  let parent = cur.parent;
  let subseq = env.pc;
  // (the kernel's line ends with a space after subseq_idx)
  // The kernel's walk starts at the current instruction itself (last_idx, subseq_idx -1) and
  // skips it (skip_first); this state's history holds the instructions before it.
  let first = true;
  for (;;) {
    if (first) log?.line(`mark_precise: frame${bt.frame}: last_idx ${env.pc} first_idx ${hist[0] ?? env.pc} subseq_idx -1 `);
    else log?.line(`mark_precise: frame${bt.frame}: last_idx ${hist.at(-1) ?? subseq} first_idx ${hist[0] ?? subseq} subseq_idx ${subseq} `);
    first = false;
    let m = bt.regs[bt.frame]!;
    let busy = m | PASS_FLAGS;
    for (let i = hist.length - 1; i >= 0; i--) {
      const pc = hist[i]!;
      const extra = histx[i]!;
      if (gen !== 0) {
        if (stamps[pc] !== gen) { pass[pc] = passMask(insns[pc]!); stamps[pc] = gen; }
        const q = pass[pc]!;
        if ((q & busy) === 0 || passes(q, pc, subseq, extra, m)) { subseq = pc; continue; }
      }
      log?.line(`mark_precise: frame${bt.frame}: ${btText(bt.frame)} before ${log.insnText(pc)}`);
      if (!backtrack(env, pc, subseq, extra)) { log?.line(`mark_precise: frame${bt.frame}: falling back to forcing all scalars precise`); markAll(cur); return; }
      if (btEmpty()) return;
      subseq = pc;
      m = bt.regs[bt.frame]!;
      busy = m | PASS_FLAGS;
    }
    if (!parent) return;
    const st = parent.st;
    if (st.frames.length - 1 !== bt.frame) { markAll(cur); return; }
    // As the kernel: a value already precise in this checkpoint had its sources marked when it
    // became precise, so it stops being tracked; the others are marked and followed further back.
    for (let fr = 0; fr <= bt.frame; fr++) {
      const mask = bt.regs[fr]!;
      if (!mask) continue;
      const regs = st.frames[fr]!.regs;
      for (let r = 0; r <= 10; r++) {
        if (!(mask & (1 << r))) continue;
        const reg = regs[r]!;
        if (reg.type !== T.SCALAR || reg.precise) { bt.regs[fr] = bt.regs[fr]! & ~(1 << r); continue; }
        reg.precise = true;
      }
    }
    if (bt.slots.size !== 0) for (let code = bt.slots.next(1); code !== 0; code = bt.slots.next(code + 1)) {
      const f = st.frames[slotFrame(code)];
      const sp = f?.spills[(code - 1) % SLOTS];
      if (!sp || sp.type !== T.SCALAR || sp.precise) { bt.slots.delete(code); continue; }
      writableSpill(f!, (code - 1) % SLOTS).precise = true;
    }
    // __mark_chain_precision prints the parent state of every frame, the current one down to 0,
    // those with nothing to mark too ("regs= stack=")
    if (log) for (let fr = bt.frame; fr >= 0; fr--) log.line(`mark_precise: frame${fr}: parent state ${btText(fr)}: ${log.frameOf(st, fr)}`);
    if (btEmpty()) return;
    hist = parent.hist;
    histx = parent.histx;
    parent = parent.parent;
  }
}

/** propagate_precision: a path pruned against `old` inherits the precision the old state's future needed. */
export function propagatePrecision(env: Env, old: VState, alive: Int32Array | null = null): void {
  const n = old.frames.length;
  btClear();
  for (let fi = 0; fi < n; fi++) {
    const f = old.frames[fi]!;
    // A cleaned state (clean_func_state) holds no dead registers or stack slots: they are not propagated.
    const liveRegs = !alive ? 0x7ff : env.live[fi === n - 1 ? old.pc : old.frames[fi + 1]!.callsite]!;
    let mask = 0;
    for (let r = 0; r <= 10; r++) if (liveRegs & (1 << r) && f.regs[r]!.type === T.SCALAR && f.regs[r]!.precise) mask |= 1 << r;
    bt.regs[fi] = mask;
    const spills = f.spills;
    for (let k = f.spillLow; k < spills.length; k++) {
      const sp = spills[k];
      if (sp?.type === T.SCALAR && sp.precise && (!alive || slotAlive(alive, fi, k))) bt.slots.add(stackSlotCode(fi, k));
    }
  }
  if (env.opts.logLevel === 2 && env.log) logPropagating(env.log, old, bt.regs, alive);
  markChain(env, n - 1);
}

/** propagate_precision's "frame 0: propagating r3,r4,fp-8" lines, innermost frame first. */
function logPropagating(log: NonNullable<Env['log']>, old: VState, regs: ArrayLike<number>, alive: Int32Array | null): void {
  for (let fi = old.frames.length - 1; fi >= 0; fi--) {
    const f = old.frames[fi]!;
    const what: string[] = [];
    for (let r = 0; r < 10; r++) if (regs[fi]! & (1 << r)) what.push(`r${r}`);
    // stack slot i is fp-(i+1)*8; spills are indexed from fp-512
    for (let i = 0; i < SLOTS; i++) {
      const sp = f.spills[SLOTS - 1 - i];
      if (sp?.type === T.SCALAR && sp.precise && (!alive || slotAlive(alive, fi, SLOTS - 1 - i))) what.push(`fp${-(i + 1) * 8}`);
    }
    if (what.length) log.line(`frame ${fi}: propagating ${what.join(',')}`);
  }
}


/**
 * Open-coded iterators (bpf_iter_<type>_new / _next / _destroy kfuncs, what bpf_for(),
 * bpf_repeat() and bpf_for_each() compile to) and may_goto (what can_loop / cond_break compile
 * to), as Linux 6.18's verifier models them:
 *
 * - An iterator lives on the stack as STACK_ITER slots (as many 8-byte slots as its
 *   `struct bpf_iter_<type>` is large). `_new` needs uninitialised slots and acquires a
 *   reference (an iterator never destroyed leaks it); `_next` and `_destroy` need slots an
 *   iterator of that very type initialised; `_destroy` releases the reference
 *   (process_iter_arg, mark_stack_slots_iter, is_iter_reg_valid_init, unmark_stack_slots_iter).
 * - `_next` is a forced checkpoint. At each call the current path sees the iterator drained
 *   (r0 = NULL) and a queued path one iteration deeper sees an element, with imprecise scalars
 *   that changed since the previous visit of the call widened to unknown
 *   (process_iter_next_call, widen_imprecise_scalars). A later visit that lies within a visit
 *   still in progress (RANGE_WITHIN) with the iterator active ends the loop.
 * - may_goto: the current path takes the jump (the loop exit); the fall-through is queued with
 *   may_goto_depth + 1 (and the same widening). A visit within an in-progress one at another
 *   depth ends the loop. The stack the kernel reserves for the counter (16 bytes on x86-64)
 *   is added after the depth limits were checked (do_misc_fixups), so it never changes a
 *   verdict; explore.ts's stackDepths reports it as the kernel does.
 */
import type { Btf, BtfParam } from '../loader/btf/index.js';
import * as op from '../isa/opcodes.js';
import type { Insn } from '../isa/insn.js';
import type { Env } from './env.js';
import { releaseReference } from './calls.js';
import { widenImpreciseScalars } from './callbacks.js';
import { markStackRead, markStackWritten } from './liveness.js';
import { checkMemAccess } from './memory.js';
import { MAYBE_NULL, MEM_RCU, PTR_UNTRUSTED, T, base } from './reg-types.js';
import { MAX_BPF_STACK, REG_SIZE, S, cloneState, newReg, newRef, setSpill, withSlot, writableSlots, writableSpill, type Checkpoint, type Reg, type VState } from './state.js';
import { zeroedU8 } from './flat-arrays.js';

/** enum bpf_iter_state. */
export const ITER_ACTIVE = 1;
export const ITER_DRAINED = 2;

const ITER_PREFIX = 'bpf_iter_';

/** An iterator type: `struct bpf_iter_<name>` in the kfunc's BTF. */
export interface IterType {
  btfId: number;
  /** The name without `bpf_iter_` (the kernel's iter_type_str). */
  name: string;
  nrSlots: number;
}

/** An iterator argument as process_iter_arg found it (the kernel's meta->iter). */
export interface IterRef {
  frameno: number;
  /** Index into Frame.spills of the iterator's first (lowest-address) slot. */
  slot: number;
}

/** btf_check_iter_arg: the parameter is a pointer to a `struct bpf_iter_*`. */
export function iterArgType(btf: Btf, p: BtfParam): IterType | undefined {
  const t = btf.skipMods(p.type);
  if (!t || t.kind !== 'ptr') return undefined;
  const s = btf.skipMods(t.type);
  if (!s || s.kind !== 'struct' || !s.name.startsWith(ITER_PREFIX)) return undefined;
  return { btfId: s.id, name: s.name.slice(ITER_PREFIX.length), nrSlots: Math.floor((btf.resolveSize(s.id) ?? 0) / REG_SIZE) };
}

/** stack_slot_obj_get_spi for an iterator: the first slot, or a kernel message. */
function iterSlot(env: Env, r: Reg, nrSlots: number): number | string {
  const c = env.dom.constValue(r.v);
  if (c === undefined) return 'iter has to be at a constant offset';
  const off = r.off + Number(BigInt.asIntN(64, c));
  if (off % REG_SIZE) return `cannot pass in iter at an offset=${off}`;
  // __get_spi(off) + 1 < nr_slots: the object would run past the frame.
  if (off + nrSlots * REG_SIZE > 0 || off < -MAX_BPF_STACK) return `cannot pass in iter at an offset=${off}`;
  return (MAX_BPF_STACK + off) >> 3;
}

/**
 * process_iter_arg for argument register `regno` of a kfunc of the iterator family: `kind`
 * 'new' initialises the iterator, 'destroy' releases it, anything else needs it initialised.
 */
export function processIterArg(env: Env, regno: number, it: IterType, kind: 'new' | 'next' | 'destroy' | 'other', rcuProtected: boolean, funcName: string): IterRef {
  const r = env.reg(regno);
  if (r.type !== T.PTR_TO_STACK) env.reject('helper_arg', `arg#${regno - 1} expected pointer to an iterator on stack`);
  if (!it.nrSlots) env.reject('helper_arg', `expected valid iter pointer as arg #${regno - 1}`);
  const f = env.cur.frames[r.frameno]!;
  const slot = iterSlot(env, r, it.nrSlots);
  if (kind === 'new') {
    if (typeof slot === 'string') env.reject('helper_arg', slot);
    // is_iter_reg_valid_uninit: no byte may belong to an iterator already.
    for (let i = slot * 8; i < (slot + it.nrSlots) * 8; i++)
      if (f.slots[i] === S.ITER) env.reject('helper_arg', `expected uninitialized iter_${it.name} as arg #${regno - 1}`);
    // The stack writes the kernel checks (bounds, depth); what they store is replaced below.
    for (let i = 0; i < it.nrSlots * REG_SIZE; i += REG_SIZE) checkMemAccess(env, regno, i, REG_SIZE, 'write', -1, null, 0, false);
    // mark_stack_slots_iter: one reference for the iterator, carried by its first slot.
    const id = env.newId();
    env.cur.refs.push(newRef(id, env.pc));
    const type = T.PTR_TO_STACK | (rcuProtected ? (env.inRcu() ? MEM_RCU : PTR_UNTRUSTED) : 0);
    for (let i = 0; i < it.nrSlots; i++) {
      const d = newReg(env.ZERO);
      d.type = type;
      d.refObjId = i === 0 ? id : 0;
      d.memSize = it.btfId;
      d.frameno = r.frameno;
      withSlot(d, { iterType: it.name, iterState: ITER_ACTIVE, iterDepth: 0 });
      setSpill(f, slot + i, d);
      writableSlots(f).fill(S.ITER, (slot + i) * 8, (slot + i + 1) * 8);
      markStackWritten(env, r.frameno, slot + i);
      if (r.frameno === env.cur.frames.length - 1) env.scratchedStack.push(slot + i);
    }
    return { frameno: r.frameno, slot };
  }
  // is_iter_reg_valid_init.
  const uninit = (): never => env.reject('helper_arg', `expected an initialized iter_${it.name} as arg #${regno - 1}`);
  if (typeof slot === 'string') uninit();
  const k = slot as number;
  for (let i = 0; i < it.nrSlots; i++) {
    const st = f.spills[k + i];
    for (let b = (k + i) * 8; b < (k + i + 1) * 8; b++) if (f.slots[b] !== S.ITER) uninit();
    if (!st || st.slot?.iterState === undefined) uninit();
    if (st!.type & PTR_UNTRUSTED) env.reject('helper_arg', `expected an RCU CS when using ${funcName}`);
    if ((i === 0) !== (st!.refObjId !== 0) || st!.memSize !== it.btfId) uninit();
  }
  for (let i = 0; i < it.nrSlots; i++) {
    markStackRead(env, r.frameno, k + i);
    if (r.frameno === env.cur.frames.length - 1) env.scratchedStack.push(k + i);
  }
  if (kind === 'destroy') {
    // unmark_stack_slots_iter.
    releaseReference(env, f.spills[k]!.refObjId);
    for (let i = 0; i < it.nrSlots; i++) {
      setSpill(f, k + i, undefined);
      writableSlots(f).fill(S.INVALID, (k + i) * 8, (k + i + 1) * 8);
      markStackWritten(env, r.frameno, k + i);
      if (r.frameno === env.cur.frames.length - 1) env.scratchedStack.push(k + i);
    }
  }
  return { frameno: r.frameno, slot: k };
}

/** The iterator's descriptor (its first slot) in state `st`, for writing. */
const iterOf = (st: VState, ref: IterRef): Reg => writableSpill(st.frames[ref.frameno]!, ref.slot);

const sameCallsites = (a: VState, b: VState): boolean =>
  a.frames.length === b.frames.length && a.frames.every((f, i) => f.callsite === b.frames[i]!.callsite);

/**
 * find_prev_entry: the closest older visit of instruction `pc`, still in progress, on this
 * path (the checkpoint made for the current visit itself is skipped).
 */
function findPrevEntry(env: Env, pc: number): VState | undefined {
  const cur = env.cur;
  let p: Checkpoint | null = cur.parent;
  if (p && p.st.pc === pc) p = p.parent;
  for (; p; p = p.parent) if (p.st.pc === pc && p.branches > 0 && sameCallsites(p.st, cur)) return p.st;
  return undefined;
}

/**
 * process_iter_next_call, after r0 got the kfunc's return type: an active iterator queues the
 * path where it yields another element (one level deeper, r0 not NULL); the current path goes
 * on with it drained and r0 = NULL.
 */
export function processIterNextCall(env: Env, ref: IterRef): void {
  const cur = env.cur;
  const it = cur.frames[ref.frameno]!.spills[ref.slot]!;
  const state = it.slot?.iterState;
  if (state !== ITER_ACTIVE && state !== ITER_DRAINED) env.reject('unsupported', `verifier internal error: unexpected iterator state ${state ?? 0}`);
  if (state === ITER_ACTIVE) {
    const prev = findPrevEntry(env, env.pc);
    const queued = cloneState(cur);
    queued.pc = env.pc + 1;
    queued.prevPc = env.pc;
    const qit = iterOf(queued, ref);
    withSlot(qit, { iterState: ITER_ACTIVE, iterDepth: (qit.slot?.iterDepth ?? 0) + 1 });
    if (prev) widenImpreciseScalars(env, prev, queued);
    const r0 = queued.frames[queued.frames.length - 1]!.regs[0]!;
    r0.type &= ~MAYBE_NULL;
    env.pushBranch(queued);
  }
  // The descriptor for writing, taken after the copy (which shares it until either side writes).
  withSlot(iterOf(cur, ref), { iterState: ITER_DRAINED });
  env.markKnown(env.reg(0), 0n);
}

export const isMayGoto = (ins: Insn): boolean => op.cls(ins.code) === op.BPF_JMP && op.jmpOp(ins.code) === op.BPF_JCOND;

/** check_cond_jmp_op for BPF_JCOND: may_goto. Sets cur.pc; queues the fall-through. */
export function checkMayGoto(env: Env, ins: Insn): void {
  if (ins.code !== (op.BPF_JMP | op.BPF_JCOND) || ins.src !== op.BPF_MAY_GOTO || ins.dst !== 0 || ins.imm !== 0)
    env.reject('invalid_insn', `invalid may_goto imm ${ins.imm}`);
  const cur = env.cur;
  const prev = findPrevEntry(env, env.pc);
  const queued = cloneState(cur);
  queued.pc = env.pc + 1;
  queued.prevPc = env.pc;
  queued.mayGotoDepth = (queued.mayGotoDepth ?? 0) + 1;
  if (prev) widenImpreciseScalars(env, prev, queued);
  env.pushBranch(queued);
  cur.pc = env.pc + 1 + ins.off;
}

/**
 * check_cfg's visit_insn for kfunc calls: a call of an iterator's `_next` is a prune point and
 * a forced checkpoint. `isIterNext` tells the `_next` kfuncs by name.
 */
export function markIterNextCalls(env: Env, isIterNext: (name: string) => boolean): Uint8Array {
  // Per program: found once, through the kernel BTF.
  if (env.iterNextPcs) return env.iterNextPcs;
  const marks = (env.iterNextPcs = zeroedU8(env.insns.length));
  let btf: Btf | undefined;
  for (let pc = 0; pc < env.insns.length; pc++) {
    const ins = env.insns[pc]!;
    if (ins.code !== (op.BPF_JMP | op.BPF_CALL) || ins.src !== op.BPF_PSEUDO_KFUNC_CALL || ins.off !== 0 || env.cfg.second[pc]) continue;
    if (!btf) {
      try { btf = env.kernelBtf(); } catch { return marks; } // refused at the call itself
    }
    const fn = btf.type(ins.imm);
    if (!fn || fn.kind !== 'func' || !isIterNext(fn.name)) continue;
    marks[pc] = 1;
    env.cfg.prunePoint[pc] = 1;
    env.cfg.forceCheckpoint[pc] = 1;
  }
  return marks;
}

/** At an iterator `_next` call: the iterator r1 points at is active (is_state_visited's loop test). */
export function iterArgActive(env: Env, st: VState): boolean {
  const r1 = st.frames[st.frames.length - 1]!.regs[1]!;
  const c = env.dom.constValue(r1.v);
  if (base(r1.type) !== T.PTR_TO_STACK || c === undefined) return false;
  const f = st.frames[r1.frameno];
  const k = (MAX_BPF_STACK + r1.off + Number(BigInt.asIntN(64, c))) >> 3;
  return f?.spills[k]?.slot?.iterState === ITER_ACTIVE;
}

/** iter_active_depths_differ: an active iterator is at another depth (not an infinite loop then). */
export function iterActiveDepthsDiffer(old: VState, cur: VState): boolean {
  for (let fi = old.frames.length - 1; fi >= 0; fi--) {
    const of = old.frames[fi]!;
    const cf = cur.frames[fi];
    if (!cf) continue;
    for (let k = 0; k < of.spills.length; k++) {
      const o = of.spills[k];
      if (of.slots[k * 8] !== S.ITER || o?.slot?.iterState !== ITER_ACTIVE) continue;
      if (cf.spills[k]?.slot?.iterDepth !== o.slot.iterDepth) return true;
    }
  }
  return false;
}

/** stacksafe for an iterator slot: same type and state, the reference in correspondence (the depth is not compared). */
export function iterSlotsSafe(o: Reg | undefined, c: Reg | undefined, checkIds: (a: number, b: number) => boolean): boolean {
  if (!o || !c) return !o && !c;
  return o.memSize === c.memSize && o.slot?.iterState === c.slot?.iterState && checkIds(o.refObjId, c.refObjId);
}

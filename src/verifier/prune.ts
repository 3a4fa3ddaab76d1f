/**
 * State subsumption for pruning (the kernel's states_equal / regsafe / stacksafe / refsafe):
 * an explored, finished state at the same instruction that covers every value the current
 * state may hold makes exploring the current state again unnecessary. Registers dead at the
 * instruction are ignored. `exact` compares everything (for infinite-loop detection).
 */
import { Buffer } from 'node:buffer';
import type { Env } from './env.js';
import { sectionsEqual } from './locks.js';
import { T, isPacketPtr } from './reg-types.js';
import { iterSlotsSafe } from './iterators.js';
import { dynptrSlotsSafe } from './dynptr-state.js';
import { irqSlotSafe } from './irq-flags.js';
import { MAX_BPF_STACK, S, newReg, type Frame, type Reg, type StackBytes, type VState } from './state.js';
import { addConstKind, baseId, hasAddConst } from './linked-scalars.js';
import { slotAlive } from './stack-liveness.js';

/**
 * A bidirectional id map (check_ids), reused between comparisons: its arrays keep their storage
 * (`n` entries in use), and fresh ids are negative small integers (real ids are positive), so a
 * comparison allocates nothing.
 */
class IdMap {
  private readonly old: number[] = [];
  private readonly cur: number[] = [];
  private n = 0;
  private tmp = 0;
  reset(): void {
    this.n = 0;
    this.tmp = 0;
  }
  /** Old id `a` and current id `b` must correspond one-to-one. */
  check(a: number, b: number): boolean {
    if (!a && !b) return true;
    if (!a || !b) return !a; // an old state without the link is more general
    const old = this.old;
    const cur = this.cur;
    const n = this.n;
    for (let i = 0; i < n; i++) {
      if (old[i] === a) return cur[i] === b;
      if (cur[i] === b) return false;
    }
    if (n < old.length) { old[n] = a; cur[n] = b; } else { old.push(a); cur.push(b); }
    this.n = n + 1;
    return true;
  }
  /**
   * check_scalar_ids (the running 6.18.44, with its stable fixes): an old scalar without an id is
   * independent, so any link the current one has only adds constraints; a current one without an
   * id counts as a fresh unique one. An offset link (BPF_ADD_CONST) must also map its base id
   * consistently: old r3 = r2 + 10 is not covered by a current r3 derived from another register.
   */
  checkScalar(a: number, b: number): boolean {
    if (!a) return true;
    const cur = b || -++this.tmp;
    if (!this.check(a, cur)) return false;
    return !hasAddConst(a) || this.check(baseId(a), cur < 0 ? cur : baseId(cur));
  }
}

const ids = new IdMap();

/** Optional diagnostics: why comparisons failed (`reg r3 scalar`, `stack fp-16`, ...), for tuning pruning (the texts are built only when enabled). */
export const pruneMisses: { enabled: boolean; detail: boolean; counts: Map<string, number> } = { enabled: false, detail: false, counts: new Map() };
function miss(why: string): false {
  if (pruneMisses.enabled) pruneMisses.counts.set(why, (pruneMisses.counts.get(why) ?? 0) + 1);
  return false;
}

/**
 * The kernel's enum exact_level: false = NOT_EXACT (liveness and precision decide what is
 * compared), 'range' = RANGE_WITHIN (every register and slot, scalars by range inclusion: for
 * loops whose checkpoints are still in progress, e.g. at callback-calling helper calls), true = EXACT.
 */
export type Exactness = boolean | 'range';

function regsafe(env: Env, o: Reg, c: Reg, exact: Exactness): boolean {
  if (o.type === T.NOT_INIT) return exact !== false ? c.type === T.NOT_INIT : true;
  if (c.type === T.NOT_INIT) return false;
  if (o.type !== c.type) return false;
  if (o.type === T.PTR_TO_ARENA) return true; // regsafe: every arena pointer covers every other
  const d = env.dom;
  if (o.type === T.SCALAR) {
    if (!exact && !o.precise) return true; // no decision depended on the old value
    // A link with a constant delta (BPF_ADD_CONST) matches only the same kind of link with the same
    // delta; an old scalar without an id is matched by range alone.
    if (o.id && addConstKind(o.id) !== addConstKind(c.id)) return false;
    if (hasAddConst(o.id) && o.off !== c.off) return false;
    // Scalars are immutable and shared between a state and its copies: the same object covers itself.
    if (exact === true) return (o.v === c.v || d.equal(o.v, c.v)) && ids.checkScalar(o.id, c.id);
    return (o.v === c.v || d.subsumes(o.v, c.v)) && ids.checkScalar(o.id, c.id);
  }
  if (o.off !== c.off || o.map !== c.map || o.memSize !== c.memSize || o.frameno !== c.frameno) return false;
  if (o.v !== c.v && (exact === true ? !d.equal(o.v, c.v) : !d.subsumes(o.v, c.v))) return false;
  // AT_PKT_END / BEYOND_PKT_END (negative ranges) match only themselves.
  if (isPacketPtr(o.type) && (exact === true || o.range < 0 || c.range < 0 ? o.range !== c.range : c.range < o.range)) return false;
  // Non-NULL map values keep an id only when their map holds a lock: then it must correspond exactly (check_ids).
  if (o.type === T.PTR_TO_MAP_VALUE && !o.id !== !c.id) return false;
  // Dynptr slices: regs_exact compares dynptr_id as raw bytes (not through the id map), so slices of
  // dynptrs made on different paths never match.
  if (o.dynptrId !== c.dynptrId) return false;
  return ids.check(o.id, c.id) && ids.check(o.refObjId, c.refObjId);
}

let missSlot = 0;

/** A stack byte for the miss diagnostics: its kind, and a spilled register's value. */
function slotStr(env: Env, f: Frame, i: number): string {
  const sp = f.spills[i >> 3];
  const kind = 'ismz?if'[f.slots[i]!] ?? '?';
  if (f.slots[i] !== S.SPILL || !sp) return kind;
  return `${kind}:${sp.type === T.SCALAR ? (sp.precise ? 'P' : '') + env.dom.format(sp.v) : 'ptr' + sp.type}`;
}

/**
 * stacksafe when both frames hold the same bytes (one shared array, copy-on-write, nothing
 * written since they parted; or equal contents): every byte equals its counterpart, so of the
 * loop below only the per-slot checks of iterators, dynptrs and spilled registers remain.
 */
function sharedStacksafe(env: Env, o: Frame, c: Frame, exact: Exactness, live: Int32Array | null, fi: number): boolean {
  const n = o.slots.length >> 3;
  for (let k = firstUsedSlot(o); k < n; k++) {
    missSlot = k * 8;
    if (live && !slotAlive(live, fi, k)) continue;
    if (!sameBytesSlotSafe(env, o, c, k, exact)) return false;
  }
  return true;
}

const checkIds = (a: number, b: number): boolean => ids.check(a, b);

/** stacksafe's verdict on slot k when its 8 bytes are the same in both frames. */
function sameBytesSlotSafe(env: Env, o: Frame, c: Frame, k: number, exact: Exactness): boolean {
  const st = o.slots[k * 8]!;
  if (st === S.ITER) return iterSlotsSafe(o.spills[k], c.spills[k], checkIds);
  if (st === S.DYNPTR) return dynptrSlotsSafe(o.spills[k], c.spills[k], checkIds);
  if (st === S.IRQ_FLAG) return irqSlotSafe(o.spills[k], c.spills[k], checkIds);
  if (st === S.SPILL) {
    const or = o.spills[k];
    const cr = c.spills[k];
    if (or && !cr) return false;
    if (or && cr && !regsafe(env, or, cr, exact)) return false;
  }
  return true;
}

/**
 * The lowest slot the old frame may hold anything in: every byte a path writes was touched
 * first (Frame.depth, the kernel's allocated_stack), so below this one the old frame's bytes are
 * never written (STACK_INVALID) and its slots hold no spill. Such a slot is safe against anything
 * in both loops that start here (the kernel's stacksafe walks old->allocated_stack only): with
 * the same bytes it is no special slot, and a differing one is covered byte by byte. (An exact
 * comparison of differing bytes never reaches those loops.)
 */
function firstUsedSlot(o: Frame): number {
  const k = (MAX_BPF_STACK - ((o.depth + 7) & ~7)) >> 3;
  return k;
}

/** The 8 bytes of slot k are the same in both arrays. */
function sameSlotBytes(a: StackBytes, b: StackBytes, k: number): boolean {
  const i = k * 8;
  return a[i] === b[i] && a[i + 1] === b[i + 1] && a[i + 2] === b[i + 2] && a[i + 3] === b[i + 3] &&
    a[i + 4] === b[i + 4] && a[i + 5] === b[i + 5] && a[i + 6] === b[i + 6] && a[i + 7] === b[i + 7];
}

/**
 * `live`: the old state was cleaned (clean_func_state): a slot dead at it reads as never
 * written (STACK_INVALID), which covers anything short of an exact comparison (cleaned states
 * are never compared exactly: those are in-progress ones).
 */
function stacksafe(env: Env, o: Frame, c: Frame, exact: Exactness, live: Int32Array | null, fi: number): boolean {
  if (exact === true) live = null;
  if (o.slots === c.slots) return sharedStacksafe(env, o, c, exact, live, fi);
  if (exact !== false || !live) {
    // All 512 bytes are compared: one memcmp first. Equal bytes leave only the per-slot checks;
    // with `exact` any differing byte fails (every branch below requires os === cs).
    if (Buffer.compare(o.slots as Uint8Array, c.slots as Uint8Array) === 0) return sharedStacksafe(env, o, c, exact, live, fi);
    if (exact === true) return false;
  }
  // Not exact from here: a byte never written in the old state covers anything. Slot by slot: one
  // whose 8 bytes are the same on both sides needs only the per-slot checks (as sharedStacksafe);
  // the others are compared byte by byte.
  const nslots = o.slots.length >> 3;
  for (let k = firstUsedSlot(o); k < nslots; k++) {
    if (live && !slotAlive(live, fi, k)) continue; // no path from the old state reads this slot
    if (sameSlotBytes(o.slots, c.slots, k)) {
      missSlot = k * 8;
      if (!sameBytesSlotSafe(env, o, c, k, exact)) return false;
      continue;
    }
    if (!differingSlotSafe(env, o, c, k, exact)) return false;
  }
  return true;
}

/**
 * stacksafe's byte-by-byte comparison of slot k, in the kernel's order of tests. Only EXACT
 * requires the same byte types (which never gets here), RANGE_WITHIN not: the running kernel prunes
 * loop states over data and unwritten bytes as any other ("allow states pruning for misc/invalid
 * slots in iterator loops"; parca's cpu unwinder: 586485 insns, 919166 with the check). A byte
 * the old state never wrote covers anything, and so (privileged: allow_uninit_stack) does an old
 * data byte. Otherwise a 64-bit spilled scalar or an all-data slot on both sides is compared as one
 * register (scalar_reg_for_stack); failing that the byte types must be the same, except that old
 * data covers current zeros. Old zeros cover only zeros: a spilled constant 0 is a spill, not zero
 * bytes (qemu's rss.bpf.c, clang-14: the kernel explores on where such a match pruned).
 */
function differingSlotSafe(env: Env, o: Frame, c: Frame, k: number, exact: Exactness): boolean {
  // allocated_stack: the current path never reached this slot (its stack is smaller), and the
  // old state holds something there; the kernel does not look at the bytes then.
  const allocated = ((c.depth + 7) & ~7) >= MAX_BPF_STACK - k * 8;
  const uninitOk = env.opts.allowUninitStack !== false;
  let pairTried = false;
  for (let i = k * 8; i < k * 8 + 8; i++) {
    missSlot = i;
    const os = o.slots[i]!;
    if (os === S.INVALID) continue;
    if (os === S.MISC && uninitOk) continue;
    if (!allocated) return false;
    if (!pairTried) {
      // scalar_reg_for_stack depends on the whole slot: trying it at the first byte not skipped
      // is trying it at every one (the kernel then moves on to the next slot).
      pairTried = true;
      const or = scalarRegForStack(env, o, k);
      const cr = or && scalarRegForStack(env, c, k);
      if (or && cr) return regsafe(env, or, cr, exact);
    }
    const cs = c.slots[i]!;
    if (os === S.MISC && cs === S.ZERO) continue; // safe with any data, so with zeros
    if (os !== cs) return false;
    if ((i & 7) !== 0) continue;
    // The slot's lowest byte (the kernel's slot_type[BPF_REG_SIZE - 1]): the same special object.
    if (os === S.ITER && !iterSlotsSafe(o.spills[k], c.spills[k], checkIds)) return false;
    if (os === S.IRQ_FLAG && !irqSlotSafe(o.spills[k], c.spills[k], checkIds)) return false;
    if (os === S.DYNPTR && !dynptrSlotsSafe(o.spills[k], c.spills[k], checkIds)) return false;
    if (os === S.SPILL) {
      const or = o.spills[k];
      const cr = c.spills[k];
      if (or && !cr) return false;
      if (or && cr && !regsafe(env, or, cr, exact)) return false;
    }
  }
  return true;
}

/**
 * scalar_reg_for_stack: what slot k reads back as when it is one scalar: a 64-bit spilled scalar
 * (is_spilled_scalar_reg64: its highest byte, the kernel's slot_type[0], is a spill), or an unknown
 * scalar when every byte is data (is_stack_all_misc); null otherwise.
 */
function scalarRegForStack(env: Env, f: Frame, k: number): Reg | null {
  const sp = f.spills[k];
  if (f.slots[k * 8 + 7] === S.SPILL && sp?.type === T.SCALAR) return sp;
  return allMiscSlot(env, f.slots, k * 8) ? unboundScalar(env) : null;
}

/** The kernel's unbound_reg: what unknown stack bytes read back as (an unknown, imprecise scalar without id). */
function unboundScalar(env: Env): Reg {
  const r = newReg(env.UNKNOWN);
  r.type = T.SCALAR;
  return r;
}

/** is_stack_all_misc: the 8 bytes from `i` all read as an unknown scalar (MISC; never-written ones too when uninit stack reads are allowed). ZERO bytes are not. */
function allMiscSlot(env: Env, slots: StackBytes, i: number): boolean {
  const uninitOk = env.opts.allowUninitStack !== false;
  for (let j = i; j < i + 8; j++) if (slots[j] !== S.MISC && !(uninitOk && slots[j] === S.INVALID)) return false;
  return true;
}

/**
 * states_maybe_looping: the quick test before an exact comparison (a loop's checkpoints, compared
 * on every iteration, differ in the counter): the innermost frame's live registers hold the same
 * type and, for scalars, the same value. False only where the exact comparison fails too.
 */
function maybeLooping(env: Env, old: VState, cur: VState, pc: number): boolean {
  const of = old.frames[old.frames.length - 1]!;
  const cf = cur.frames[cur.frames.length - 1]!;
  const live = env.live[pc]!;
  for (let r = 0; r < 10; r++) {
    if (!(live & (1 << r))) continue;
    const o = of.regs[r]!;
    const c = cf.regs[r]!;
    if (o.type !== c.type) return false;
    if (o.type === T.SCALAR && o.v !== c.v && !env.dom.equal(o.v, c.v)) return false;
  }
  return true;
}

/** Whether `old` (explored) covers `cur` at instruction `pc`. */
export function statesEqual(env: Env, old: VState, cur: VState, pc: number, exact: Exactness, alive: Int32Array | null = null): boolean {
  if (old.frames.length !== cur.frames.length) return false;
  if (exact === true && !maybeLooping(env, old, cur, pc)) return false;
  ids.reset();
  const n = old.frames.length;
  for (let fi = 0; fi < n; fi++) {
    const of = old.frames[fi]!;
    const cf = cur.frames[fi]!;
    if (of.callsite !== cf.callsite) return false;
  }
  if (old.refs.length !== cur.refs.length || !sectionsEqual(old, cur)) return false;
  for (let i = 0; i < old.refs.length; i++) {
    const o = old.refs[i]!;
    const c = cur.refs[i]!;
    if (o.kind !== c.kind || !ids.check(o.id, c.id)) return false;
    // A lock: the same map, and (check_ids) an id on both sides or on neither.
    if (o.kind && (o.ptr !== c.ptr || !o.id !== !c.id)) return false;
  }
  for (let fi = n - 1; fi >= 0; fi--) {
    const of = old.frames[fi]!;
    const cf = cur.frames[fi]!;
    // A state that ran the callback more often is not covered by one that ran it less.
    if ((of.callbackDepth ?? 0) > (cf.callbackDepth ?? 0)) return exact || !pruneMisses.enabled ? false : miss(`callback_depth @${pc}`);
    // Live registers: at pc for the innermost frame; at the return site (minus clobbered r0-r5) for callers.
    const live = fi === n - 1 ? env.live[pc]! | (1 << 10) : (env.live[cur.frames[fi + 1]!.callsite + 1]! & ~0x3f) | (1 << 10);
    for (let r = 0; r <= 10; r++) {
      if (!(live & (1 << r))) continue; // func_states_equal: dead registers are never compared
      if (!regsafe(env, of.regs[r]!, cf.regs[r]!, exact)) return exact || !pruneMisses.enabled ? false : miss(`reg r${r} ${of.regs[r]!.type === T.SCALAR ? 'scalar' : 'ptr'} @${pc}` + (pruneMisses.detail ? ` old=${env.dom.format(of.regs[r]!.v)}${of.regs[r]!.id ? '#' + of.regs[r]!.id : ''} cur=${env.dom.format(cf.regs[r]!.v)}${cf.regs[r]!.id ? '#' + cf.regs[r]!.id : ''}` : ''));
    }
    if (!stacksafe(env, of, cf, exact, alive, fi)) return exact || !pruneMisses.enabled ? false : miss(`stack @${pc} fp${missSlot - 512}${alive ? '' : ' (not cleaned)'}` + (pruneMisses.detail ? ` old=${slotStr(env, of, missSlot)} cur=${slotStr(env, cf, missSlot)}` : ''));
  }
  return true;
}

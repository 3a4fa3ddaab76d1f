/**
 * Abstract machine state, shaped like the kernel's bpf_reg_state / bpf_func_state /
 * bpf_verifier_state: registers with a type and a scalar part, a per-byte stack with spilled
 * registers, one frame per active bpf-to-bpf call, and the acquired references.
 *
 * States are mutated in place while a path is followed; copies are made only at branches and
 * checkpoints (`cloneState`).
 */
import type { Scalar } from './domains/index.js';
import { T } from './reg-types.js';

/** Stack byte kinds, as the kernel's enum bpf_stack_slot_type. */
export const enum S {
  INVALID = 0,
  SPILL = 1,
  MISC = 2,
  ZERO = 3,
  /** A dynptr's bytes (STACK_DYNPTR, two 8-byte slots): the slots' `spills` entries describe it (see dynptr-state.ts). */
  DYNPTR = 4,
  /** An open-coded iterator's bytes (STACK_ITER): the slot's `spills` entry describes it (see iterators.ts). */
  ITER = 5,
  /** A saved IRQ state (STACK_IRQ_FLAG, one 8-byte slot): the slot's `spills` entry holds its reference (see irq-flags.ts). */
  IRQ_FLAG = 6,
}

export const MAX_BPF_STACK = 512;
export const REG_SIZE = 8;
export const MAX_CALL_FRAMES = 8;
/** 8-byte stack slots in a frame (the length of Frame.spills). */
export const MAX_SPILL_SLOTS = MAX_BPF_STACK / REG_SIZE;

/** One register. For pointers, `v` is the variable part of the offset and `off` the fixed part. */
export interface Reg {
  type: number;
  off: number;
  v: Scalar;
  /** Null-check / packet-range / linked-scalar identity (0: none). */
  id: number;
  /** The acquired reference this pointer carries (0: none). */
  refObjId: number;
  /** Packet pointers: bytes proven readable from the packet start through this pointer's id. */
  range: number;
  /** Map index into program.maps for map pointers and map values (-1: none). */
  map: number;
  /** PTR_TO_MEM: accessible size; PTR_TO_FUNC: subprogram index. */
  memSize: number;
  /** PTR_TO_STACK: the frame the pointer points into. */
  frameno: number;
  /** Scalars: some decision depended on the exact value (pruning must compare it). */
  precise: boolean;
  /** Dynptr slices (PTR_TO_MEM from bpf_dynptr_data / bpf_dynptr_slice): the id of the dynptr they point into (0: none). */
  dynptrId: number;
  /**
   * STACK_DYNPTR / STACK_ITER slots only: what the slot holds (undefined otherwise). Kept apart
   * so that every register stays small (registers are copied at every branch and checkpoint).
   */
  slot: SlotDesc | undefined;
}

/**
 * A dynptr's or iterator's stack slot, as its spilled register describes it. Immutable: copied
 * registers share it, and a change is a new object (withSlot).
 */
export interface SlotDesc {
  /** STACK_DYNPTR: the dynptr's type (enum bpf_dynptr_type) and whether this is its first (lower) slot. */
  readonly dynptrType: number | undefined;
  readonly dynptrFirst: boolean | undefined;
  /** STACK_ITER: the iterator's type (`num` for struct bpf_iter_num), state (ITER_ACTIVE / ITER_DRAINED) and iteration depth. */
  readonly iterType: string | undefined;
  readonly iterState: number | undefined;
  readonly iterDepth: number | undefined;
}

const NO_SLOT: SlotDesc = { dynptrType: undefined, dynptrFirst: undefined, iterType: undefined, iterState: undefined, iterDepth: undefined };

/** Gives `r` a slot description with `change` applied (a new object: the old one may be shared). */
export function withSlot(r: Reg, change: Partial<SlotDesc>): void {
  const o = r.slot ?? NO_SLOT;
  r.slot = {
    dynptrType: 'dynptrType' in change ? change.dynptrType : o.dynptrType,
    dynptrFirst: 'dynptrFirst' in change ? change.dynptrFirst : o.dynptrFirst,
    iterType: 'iterType' in change ? change.iterType : o.iterType,
    iterState: 'iterState' in change ? change.iterState : o.iterState,
    iterDepth: 'iterDepth' in change ? change.iterDepth : o.iterDepth,
  };
}

/**
 * A frame's stack byte kinds as readers see them. A copied state shares the array with its
 * original until one of them writes (copy-on-write): writes go through `writableSlots`, and the
 * type leaves no other way to write.
 */
export type StackBytes = Omit<Readonly<Uint8Array>, 'fill' | 'set' | 'copyWithin' | 'reverse' | 'sort'>;

export interface Frame {
  regs: Reg[];
  /** Byte kinds, index 0 = fp-512 ... 511 = fp-1. */
  slots: StackBytes;
  /** False while `slots` may be shared with another state's frame. */
  ownSlots: boolean;
  /**
   * Spilled registers per 8-byte slot (index = byte index >> 3). A copied frame shares the array
   * and the registers in it with its original until one of them writes (copy-on-write, per slot):
   * writes go through `setSpill`, `writableSpill` or `forEachRegOf`.
   */
  spills: readonly (Reg | undefined)[];
  /** False while the `spills` array may be shared with another state's frame. */
  ownSpills: boolean;
  /** Per slot, 1 when the register in it is this frame's own (null: none is). */
  ownSpill: Uint8Array | null;
  /**
   * No `spills` entry below this slot index holds anything (a lower bound, lowered by setSpill,
   * MAX_SPILL_SLOTS: none): the walks over a frame's spilled registers start here, as programs
   * use the top few slots of the 64.
   */
  spillLow: number;
  /** Deepest byte touched (positive, e.g. 16 for fp-16). */
  depth: number;
  /** Call instruction in the caller (-1 for the main frame). */
  callsite: number;
  /** Subprogram index this frame runs. */
  subprog: number;
  /** A callback frame (bpf_loop, for_each_map_elem, ...): the range its r0 must be in; it returns to the calling helper call itself. */
  cbRet: readonly [bigint, bigint] | undefined;
  /**
   * Visits of synchronous callbacks from this frame's current helper call (bpf_func_state's
   * callback_depth): bpf_loop stops queueing its callback once this reaches r1's maximum.
   */
  callbackDepth: number;
}

export interface RefState {
  id: number;
  insn: number;
  /**
   * The kernel's ref_state_type: absent for an acquired pointer (REF_TYPE_PTR); 'lock' for a held
   * bpf_spin_lock (REF_TYPE_LOCK, id = the locked pointer's id), 'res_lock' for a bpf_res_spin_lock
   * (REF_TYPE_RES_LOCK), 'res_lock_irq' for one taken with bpf_res_spin_lock_irqsave
   * (REF_TYPE_RES_LOCK_IRQ), 'irq' for a saved IRQ state (REF_TYPE_IRQ, see irq-flags.ts).
   */
  kind: 'lock' | 'res_lock' | 'res_lock_irq' | 'irq' | undefined;
  /** A lock's object: the map index of the locked value (the kernel's ref->ptr). */
  ptr: number | undefined;
}

/**
 * Every RefState is made here, with its four fields in one order (undefined for an absent kind or
 * ptr): one hidden class for all of them, so the state comparisons that read them see one.
 */
export function newRef(id: number, insn: number, kind: RefState['kind'] = undefined, ptr: number | undefined = undefined): RefState {
  return { id, insn, kind, ptr };
}

const copyRef = (r: RefState): RefState => newRef(r.id, r.insn, r.kind, r.ptr);

/**
 * `refs` arrays, empty or not, hold objects (V8's PACKED_ELEMENTS): an empty literal would be an
 * array of small integers until its first push, another hidden class for every comparison that
 * reads `refs` (copies of this one keep its kind).
 */
const NO_REFS: RefState[] = [newRef(0, 0)];
NO_REFS.length = 0;

/** A state's own copy of `refs` (every element copied), of the one array kind. */
export function copyRefs(refs: readonly RefState[]): RefState[] {
  const out = NO_REFS.slice();
  for (let i = 0; i < refs.length; i++) out.push(copyRef(refs[i]!));
  return out;
}

export interface VState {
  frames: Frame[];
  refs: RefState[];
  /** Next instruction. */
  pc: number;
  /** Nearest checkpoint this path descends from (for branch counting). */
  parent: Checkpoint | null;
  /** Instruction before `pc` on this path (for "from A to B" lines). */
  prevPc: number;
  /** Instructions executed since `parent` (for precision backtracking), and what each touched (`histx`). */
  hist: number[];
  histx: number[];
  /**
   * With path tracking (options.log / options.pathStates): the full state before each pc of
   * `hist`, in the log's format. During a step it holds one more entry (the current pc's).
   */
  histS: string[] | undefined;
  /**
   * Entries the kernel's jump history would hold since `parent` (jump points reached, stack
   * accesses and linked-register jumps): past 40 a checkpoint is forced.
   */
  jmpHistory: number;
  /** may_goto instructions passed on this path that assumed another iteration (the kernel's may_goto_depth). */
  mayGotoDepth: number;
  /** Synchronous callback visits queued on this path (the kernel's callback_unroll_depth): an unrolled callback is no infinite loop. */
  callbackUnrollDepth: number;
  /** 1 inside a bpf_rcu_read_lock section (the kernel's active_rcu_lock). */
  rcuLocks: number;
  /** bpf_preempt_disable sections open on this path (active_preempt_locks). */
  preemptLocks: number;
}

/** A stored state at a prune point. `branches` counts paths from it still being explored. */
export interface Checkpoint {
  st: VState;
  parent: Checkpoint | null;
  branches: number;
  /** Paths pruned against it (for the log's statistics). */
  hits: number;
  /** Comparisons it failed (evicted from the list when it keeps missing). */
  misses: number;
  /** insn_processed when it was made (loop heuristics). */
  insnAt: number;
  /** Instructions from `parent` to this checkpoint, and what each touched. */
  hist: number[];
  histx: number[];
  histS?: string[];
  /**
   * Once cleaned (clean_live_states: all its paths explored), per frame the stack slots that may
   * still be read from it (two words per frame, StackLiveness.aliveSlots): only these are compared.
   */
  live: Int32Array | null;
  /** Evicted from its list but still referenced (the kernel's free_list): counts towards peak_states. */
  inFreeList: boolean;
  /** The call site of the snapshot's innermost frame (its bucket, sameBucket), kept here so list walks read no frames. */
  callsite: number;
}

/*
 * Registers, frames and states are made only by the functions below, each one object literal with
 * every field (optional ones included) in one order: every object of a kind then shares one hidden
 * class, so that the hot paths' property accesses stay monomorphic. Number fields hold small
 * integers only (no -0, nothing beyond 31 bits): a field that once held another number is stored
 * boxed in every object of the class.
 */

export function newReg(v: Scalar): Reg {
  return { type: T.NOT_INIT, off: 0, v, id: 0, refObjId: 0, range: 0, map: -1, memSize: 0, frameno: 0, precise: false, dynptrId: 0, slot: undefined };
}

export function copyReg(dst: Reg, src: Reg): void {
  dst.type = src.type;
  dst.off = src.off;
  dst.v = src.v;
  dst.id = src.id;
  dst.refObjId = src.refObjId;
  dst.range = src.range;
  dst.map = src.map;
  dst.memSize = src.memSize;
  dst.frameno = src.frameno;
  dst.precise = src.precise;
  dst.dynptrId = src.dynptrId;
}

/** Every field, the stack slot's description too (copyReg leaves it). */
function assignReg(dst: Reg, src: Reg): void {
  copyReg(dst, src);
  dst.slot = src.slot;
}

function sameFields(a: Reg, b: Reg): boolean {
  return a.type === b.type && a.off === b.off && a.v === b.v && a.id === b.id && a.refObjId === b.refObjId && a.range === b.range &&
    a.map === b.map && a.memSize === b.memSize && a.frameno === b.frameno && a.precise === b.precise && a.dynptrId === b.dynptrId &&
    a.slot === b.slot;
}

export function cloneReg(r: Reg): Reg {
  return { type: r.type, off: r.off, v: r.v, id: r.id, refObjId: r.refObjId, range: r.range, map: r.map, memSize: r.memSize, frameno: r.frameno,
    precise: r.precise, dynptrId: r.dynptrId, slot: r.slot };
}

/** A frame's stack bytes before any write: shared by every new frame (copied on its first write, see writableSlots). */
const INVALID_SLOTS: StackBytes = new Uint8Array(MAX_BPF_STACK);

export function newFrame(unknown: Scalar, callsite: number, subprog: number): Frame {
  const regs: Reg[] = new Array(11);
  for (let i = 0; i < 11; i++) regs[i] = newReg(unknown);
  return { regs, slots: INVALID_SLOTS, ownSlots: false, spills: new Array(MAX_BPF_STACK / REG_SIZE).fill(undefined), ownSpills: true, ownSpill: null, spillLow: MAX_SPILL_SLOTS, depth: 0,
    callsite, subprog, cbRet: undefined, callbackDepth: 0 };
}

/**
 * Stack byte arrays are carved from shared 16 KiB buffers: a view on an existing buffer costs a
 * third of a new 512-byte array (each of those is a buffer of its own, allocated outside the heap).
 */
const SLOTS_POOL_BYTES = 32 * MAX_BPF_STACK;
let slotsPool = new ArrayBuffer(SLOTS_POOL_BYTES);
let slotsPoolUsed = 0;

function copySlots(from: StackBytes): Uint8Array {
  if (slotsPoolUsed === SLOTS_POOL_BYTES) {
    slotsPool = new ArrayBuffer(SLOTS_POOL_BYTES);
    slotsPoolUsed = 0;
  }
  const to = new Uint8Array(slotsPool, slotsPoolUsed, MAX_BPF_STACK);
  slotsPoolUsed += MAX_BPF_STACK;
  to.set(from as Uint8Array);
  return to;
}

/** The frame's stack byte kinds for writing: its own copy, made on the first write after the frame was copied. */
export function writableSlots(f: Frame): Uint8Array {
  if (!f.ownSlots) {
    f.slots = copySlots(f.slots);
    f.ownSlots = true;
  }
  return f.slots as Uint8Array;
}

/**
 * Sets stack bytes [from, to) of the frame to `kind`. A store of what the bytes already hold
 * (the same slot written again on a copied path, a loop's stores) leaves a shared array shared:
 * nothing is copied, and pruning keeps comparing the two frames' bytes by identity.
 */
export function fillSlots(f: Frame, from: number, to: number, kind: S): void {
  const cur = f.slots;
  let i = from;
  while (i < to && cur[i] === kind) i++;
  if (i === to) return;
  const slots = writableSlots(f);
  for (; i < to; i++) slots[i] = kind;
}

/** The frame's own spills array (copied on the first write after the frame was copied), with slot k's ownership array. */
function ownSpillArray(f: Frame): { spills: (Reg | undefined)[]; own: Uint8Array } {
  if (!f.ownSpills) {
    f.spills = f.spills.slice();
    f.ownSpills = true;
  }
  const own = (f.ownSpill ??= new Uint8Array(MAX_BPF_STACK / REG_SIZE));
  return { spills: f.spills as (Reg | undefined)[], own };
}

/** Puts `r` (a register no other frame holds, or nothing) into spill slot k. */
export function setSpill(f: Frame, k: number, r: Reg | undefined): void {
  // Clearing an empty slot (every data store does) changes nothing: a shared array stays shared.
  if (r === undefined && f.spills[k] === undefined) return;
  if (!f.ownSpills) {
    f.spills = f.spills.slice();
    f.ownSpills = true;
  }
  (f.spills as (Reg | undefined)[])[k] = r;
  if (r) {
    (f.ownSpill ??= new Uint8Array(MAX_BPF_STACK / REG_SIZE))[k] = 1;
    if (k < f.spillLow) f.spillLow = k;
  }
  else if (f.ownSpill) f.ownSpill[k] = 0;
}

/**
 * The register spilled in slot k (there must be one), for writing: the frame's own copy, made on
 * the first write after the frame was copied.
 */
export function writableSpill(f: Frame, k: number): Reg {
  if (f.ownSpill?.[k] === 1) return f.spills[k]!;
  const { spills, own } = ownSpillArray(f);
  const r = cloneReg(spills[k]!);
  spills[k] = r;
  own[k] = 1;
  return r;
}

/** forEachRegOf's stand-in for a spilled register, so that only a register `fn` changes is copied. */
const probe = newReg(undefined as unknown as Scalar);

/**
 * Calls `fn` on every register and spilled register of every frame of `st` (for id-based
 * propagation). `fn` may change them: a spilled register it changes is written back to the
 * frame's own copy of its spills (`fn` sees a stand-in; it must not keep it).
 */
export function forEachRegOf(st: VState, fn: (r: Reg) => void): void {
  for (const f of st.frames) {
    for (const r of f.regs) fn(r);
    const spills = f.spills;
    for (let k = f.spillLow; k < spills.length; k++) {
      const s = spills[k];
      if (!s) continue;
      if (f.ownSpill?.[k] === 1) { fn(s); continue; }
      assignReg(probe, s);
      fn(probe);
      if (!sameFields(probe, s)) assignReg(writableSpill(f, k), probe);
    }
  }
}

/**
 * What checkpoint snapshots hold for a register without a value (NOT_INIT): one object shared by
 * every snapshot whose register has the same fields, instead of a copy each (a third of the
 * registers snapshots hold; they live as long as the verification, and every copy is one more
 * object the young generation's collections move). Replaced, not changed, when a register with
 * other fields comes (another `v`).
 */
let snapshotNotInit: Reg = newReg(undefined as unknown as Scalar);

/**
 * A snapshot's copy of register `r`; `prev` is the same register in the path's previous
 * checkpoint (undefined: none). Snapshots never become a path's state again and are only
 * compared and precision-marked, which writes scalars alone: their other registers are never
 * written, so one object serves every snapshot holding equal fields. A pointer (a quarter of the
 * registers snapshots hold) is most often what it was at the previous checkpoint.
 */
function snapshotReg(r: Reg, prev: Reg | undefined): Reg {
  if (r.type === T.SCALAR) return cloneReg(r);
  if (r.type === T.NOT_INIT) {
    if (!sameFields(snapshotNotInit, r)) snapshotNotInit = cloneReg(r);
    return snapshotNotInit;
  }
  return prev !== undefined && prev.type !== T.SCALAR && sameFields(prev, r) ? prev : cloneReg(r);
}

/** `prev`: a checkpoint's snapshot is made, and this is the frame's counterpart in the path's previous one (null: none). */
function cloneFrame(f: Frame, snapshot: boolean, prev: Frame | null): Frame {
  const regs: Reg[] = new Array(f.regs.length);
  if (snapshot) for (let i = 0; i < regs.length; i++) regs[i] = snapshotReg(f.regs[i]!, prev?.regs[i]);
  else for (let i = 0; i < regs.length; i++) regs[i] = cloneReg(f.regs[i]!);
  // The stack bytes and the spilled registers are shared until either side writes (most are
  // never written again before the copy is compared or dropped).
  f.ownSlots = false;
  f.ownSpills = false;
  f.ownSpill?.fill(0);
  return { regs, slots: f.slots, ownSlots: false, spills: f.spills, ownSpills: false, ownSpill: null, spillLow: f.spillLow, depth: f.depth, callsite: f.callsite, subprog: f.subprog,
    cbRet: f.cbRet, callbackDepth: f.callbackDepth };
}

/** A state of one frame at `pc`, with no history (a path's start). */
export function newState(frame: Frame, pc: number, prevPc: number, pathStates: boolean): VState {
  return { frames: [frame], refs: NO_REFS.slice(), pc, parent: null, prevPc, hist: [], histx: [], histS: pathStates ? [] : undefined,
    jmpHistory: 0, mayGotoDepth: 0, callbackUnrollDepth: 0, rcuLocks: 0, preemptLocks: 0 };
}

/** A snapshot's history (the checkpoint holds the path's): one empty array for all, frozen as no snapshot is explored from. */
const NO_HISTORY = Object.freeze([]) as unknown as number[];

/**
 * A deep copy; `history` false starts the copy's path history empty: a checkpoint's snapshot,
 * which shares the registers it never writes with other snapshots (see snapshotReg) and must
 * never be explored from.
 */
export function cloneState(s: VState, history = true): VState {
  // Pushed, not stored into `new Array(n)`: a packed array, the kind newState's and joinStates'
  // `frames` have (a holey one was another hidden class for every comparison of frames).
  const frames: Frame[] = [];
  const prev = history ? undefined : s.parent?.st.frames;
  for (let i = 0; i < s.frames.length; i++) frames.push(cloneFrame(s.frames[i]!, !history, prev?.[i] ?? null));
  const histS = s.histS ? (history ? s.histS.slice() : []) : undefined;
  return { frames, refs: copyRefs(s.refs), pc: s.pc, parent: s.parent, prevPc: s.prevPc,
    hist: history ? s.hist.slice() : NO_HISTORY, histx: history ? s.histx.slice() : NO_HISTORY, histS,
    jmpHistory: s.jmpHistory, mayGotoDepth: s.mayGotoDepth, callbackUnrollDepth: s.callbackUnrollDepth, rcuLocks: s.rcuLocks, preemptLocks: s.preemptLocks };
}

export const curFrame = (s: VState): Frame => s.frames[s.frames.length - 1]!;

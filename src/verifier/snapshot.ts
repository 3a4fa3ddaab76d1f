/**
 * The verifier's abstract states as plain data: a snapshot of a VState (registers with their type,
 * tnum, the four ranges and ids; stack slots; acquired references) and a `verify` variant that
 * collects one per visit of chosen instructions through the `onInsn` hook. Library users read
 * these instead of parsing log text.
 */
import type { Program } from '../isa/program.js';
import { getDomain } from './domains/index.js';
import { Log } from './log.js';
import { T, base, typeName } from './reg-types.js';
import { MAX_BPF_STACK, REG_SIZE, S, type Frame, type Reg, type VState } from './state.js';
import type { VerifyOptions } from './options.js';

/** A register (or a spilled one) in the verifier's abstract state. */
/** Unsigned and signed bounds over 64 bits, and over the low 32 bits. Signed ones are signed bigints. */
export interface ScalarBounds {
  umin: bigint;
  umax: bigint;
  smin: bigint;
  smax: bigint;
  u32min: bigint;
  u32max: bigint;
  s32min: bigint;
  s32max: bigint;
}

export interface RegSnapshot extends ScalarBounds {
  /** The kernel's type name: `scalar`, `ctx`, `pkt`, `map_value_or_null`, `fp`, ... (`?` = not initialised). */
  type: string;
  /** Pointers: the fixed part of the offset (the variable part is the bounds). */
  off: number;
  /** Tnum of the value (scalars) or of the variable offset (pointers): bits set in `mask` are unknown. */
  tnum: { value: bigint; mask: bigint };
  /** The exact value when the tnum is constant (scalars: the value; pointers: the variable offset). */
  const: bigint | null;
  /** Null-check / packet-range / linked-scalar identity (0: none). */
  id: number;
  /** The acquired reference this pointer carries (0: none). */
  refObjId: number;
  /** Packet pointers: bytes proven readable. */
  range: number;
  /** Map pointers and map values: the map's name (or index) in the program. */
  map: string | null;
  /** PTR_TO_MEM: accessible size. */
  memSize: number;
  /** PTR_TO_STACK: the frame pointed into. */
  frameno: number;
  /** Scalars: marked precise (some decision depended on the exact value). */
  precise: boolean;
  /** The register as the kernel's log prints it (e.g. `scalar(smin=0,smax=15,...)`). */
  text: string;
}

/** An 8-byte stack slot that was written. */
export interface StackSlotSnapshot {
  /** Offset from the frame pointer (-8, -16, ...). */
  off: number;
  /** Byte kinds from the highest byte down, as the kernel prints them: `m` misc, `0` zero, `r` spill, `?` unwritten. */
  kinds: string;
  /** The spilled register, when the slot holds one. */
  spilled: RegSnapshot | null;
}

export interface FrameSnapshot {
  /** Subprogram index this frame runs (0: main). */
  subprog: number;
  /** Call instruction in the caller (-1 for the main frame). */
  callsite: number;
  /** R0..R10 (`type: '?'` when not initialised). */
  regs: RegSnapshot[];
  /** Written slots, nearest to the frame pointer first. */
  stack: StackSlotSnapshot[];
}

/** The abstract state before one instruction on one path. */
export interface StateSnapshot {
  pc: number;
  /** Active frames, caller first; the last one is the current frame. */
  frames: FrameSnapshot[];
  /** Acquired references not yet released: id and the instruction that acquired it. */
  refs: { id: number; insn: number }[];
}

const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);
const s32 = (v: bigint): bigint => BigInt.asIntN(32, v);
const SLOT_CHAR = ['?', 'r', 'm', '0', 'd', 'i'];

/** Turns live verifier states into data (the log printer supplies each register's text). */
export class StateSnapshotter {
  private readonly log: Log;
  constructor(private readonly program: Program, domain: VerifyOptions['domain'] = 'kernel') {
    this.log = new Log(program, getDomain(domain));
  }

  reg(r: Reg, frameno: number): RegSnapshot {
    const v = r.v;
    const b = base(r.type);
    const isMap = b === T.CONST_PTR_TO_MAP || b === T.PTR_TO_MAP_VALUE || b === T.PTR_TO_MAP_KEY;
    const m = isMap ? this.program.maps[r.map] : undefined;
    return {
      type: r.type === T.NOT_INIT ? '?' : typeName(r.type),
      off: r.off,
      tnum: { value: u64(v.value), mask: u64(v.mask) },
      umin: u64(v.umin), umax: u64(v.umax), smin: s64(v.smin), smax: s64(v.smax),
      u32min: BigInt.asUintN(32, v.u32min), u32max: BigInt.asUintN(32, v.u32max), s32min: s32(v.s32min), s32max: s32(v.s32max),
      const: v.mask === 0n ? (r.type === T.SCALAR ? s64(v.value) : u64(v.value)) : null,
      id: r.id, refObjId: r.refObjId, range: r.range,
      map: m ? (m.name || String(r.map)) : null,
      memSize: r.memSize, frameno: r.frameno, precise: r.precise,
      text: r.type === T.NOT_INIT ? '?' : this.log.reg(r, frameno),
    };
  }

  frame(f: Frame, frameno: number): FrameSnapshot {
    const stack: StackSlotSnapshot[] = [];
    const nslots = MAX_BPF_STACK / REG_SIZE;
    for (let i = 0; i < nslots; i++) {
      const k = nslots - 1 - i; // slot k holds fp-(i+1)*8
      let kinds = '';
      let written = false;
      for (let j = 0; j < REG_SIZE; j++) {
        const st = f.slots[k * 8 + 7 - j]!;
        if (st !== S.INVALID) written = true;
        kinds += SLOT_CHAR[st];
      }
      if (!written) continue;
      const spill = f.slots[k * 8] === S.SPILL ? f.spills[k] : undefined;
      stack.push({ off: -(i + 1) * REG_SIZE, kinds, spilled: spill ? this.reg(spill, frameno) : null });
    }
    return { subprog: f.subprog, callsite: f.callsite, regs: f.regs.map((r) => this.reg(r, frameno)), stack };
  }

  state(st: VState, pc: number = st.pc): StateSnapshot {
    return { pc, frames: st.frames.map((f, i) => this.frame(f, i)), refs: st.refs.map((r) => ({ id: r.id, insn: r.insn })) };
  }
}

export interface StateCollectionOptions {
  /** Only these instructions (default: every instruction). */
  at?: readonly number[];
  /** Stop collecting after this many snapshots (default 100,000); `truncated` then says so. */
  limit?: number;
}

export interface CollectedStates {
  /** Per instruction, the state before it on each path the verifier explored through it (in visit order). */
  states: Map<number, StateSnapshot[]>;
  /** The limit stopped the collection early. */
  truncated: boolean;
}

/**
 * Options for `verify` that collect the abstract state before chosen instructions, and the
 * collection they fill. Chains an `onInsn` the caller already set.
 */
export function collectStates(program: Program, options: VerifyOptions = {}, collect: StateCollectionOptions = {}): { options: VerifyOptions; collected: CollectedStates } {
  const snap = new StateSnapshotter(program, options.domain);
  const want = collect.at ? new Set(collect.at) : null;
  const limit = collect.limit ?? 100_000;
  const collected: CollectedStates = { states: new Map(), truncated: false };
  let count = 0;
  const prev = options.onInsn;
  const onInsn = (pc: number, st: VState, live: number): void => {
    prev?.(pc, st, live);
    if (want && !want.has(pc)) return;
    if (count >= limit) { collected.truncated = true; return; }
    count++;
    const list = collected.states.get(pc);
    const s = snap.state(st, pc);
    if (list) list.push(s);
    else collected.states.set(pc, [s]);
  };
  return { options: { ...options, onInsn }, collected };
}

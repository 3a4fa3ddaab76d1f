/**
 * Stack slot liveness as Linux 6.18 computes it (kernel/bpf/liveness.c, "callchain sensitive
 * stack liveness tracking"): not read marks along a path's parentage chain, but a data-flow
 * analysis over instructions, one per call chain (the call instructions leading to a subprogram,
 * then its entry), fed while paths are explored:
 *
 * - every stack read of the current instruction adds its slot to the instruction's `may_read`
 *   (a union over all visits);
 * - the full 8-byte writes of one visit of an instruction form a set, and the instruction's
 *   `must_write` is the intersection of those sets over all its visits;
 * - when a path ends or a subprogram returns, each call chain of the current state whose marks
 *   changed solves `live_before = (U live_before(successors) \ must_write) U may_read` and
 *   `must_write_acc = (∩ must_write_acc(successors)) U must_write` to a fixpoint; a callee's
 *   entry then counts as a read (live_before) and a write (must_write_acc) of its call
 *   instruction in the caller's chain.
 *
 * A checkpoint whose paths are all explored is "cleaned" once (clean_live_states): slots that
 * are not live at its instruction (bpf_stack_slot_alive) are ignored from then on.
 *
 * Masks are 64-bit sets of stack slots as the kernel numbers them (bit spi: fp-8*(spi+1)), held
 * as two 32-bit words. Per call chain and frame, one Int32Array holds all four masks of every
 * instruction of the subprogram.
 */
import { CALL_EDGE, type Cfg } from './cfg.js';
import type { VState } from './state.js';
import { zeroedI32, zeroedU8 } from './flat-arrays.js';

/** MAX_CALL_FRAMES */
const MAX_FRAMES = 8;
/** Words per instruction: may_read, must_write, must_write_acc, live_before (lo, hi each). */
const STRIDE = 8;
const MAY_READ = 0;
const MUST_WRITE = 2;
const MUST_WRITE_ACC = 4;
const LIVE_BEFORE = 6;

/** What the analysis reads of the CFG: the subprograms and each instruction's successors. */
export type LivenessFlow = Pick<Cfg, 'subprogs' | 'succCount' | 'succTo' | 'succKind'>;

/** The analysis of one call chain (the kernel's func_instance). */
class FuncInstance {
  /** Masks per frame of the chain (allocated at the first mark for that frame), STRIDE words per instruction. */
  readonly frames: (Int32Array | null)[];
  /** Per instruction: must_write was set by some visit (later visits intersect). */
  readonly mustWriteSet: Uint8Array;
  updated = false;
  mustWriteDropped = false;
  /** The index of the innermost frame. */
  readonly depth: number;
  /** The first instruction of the subprogram (masks are indexed from it). */
  readonly start: number;
  constructor(
    readonly key: string,
    /** Per frame: the call instruction into the next frame; the last entry is the subprogram's start. */
    readonly callsites: Int32Array,
    /** Per frame: the start of that frame's subprogram. */
    readonly spStarts: Int32Array,
    readonly insnCnt: number,
  ) {
    this.frames = new Array<Int32Array | null>(callsites.length).fill(null);
    this.mustWriteSet = zeroedU8(insnCnt);
    this.depth = callsites.length - 1;
    this.start = spStarts[this.depth]!;
  }
  frameMasks(frame: number): Int32Array {
    return (this.frames[frame] ??= zeroedI32(this.insnCnt * STRIDE));
  }
}

export class StackLiveness {
  private readonly instances = new Map<string, FuncInstance>();
  /** The instance of the current state's call chain (reset whenever the chain may change). */
  private cur: FuncInstance | null = null;
  /** The full-slot writes of the instruction at writeInsn so far, per frame (lo, hi). */
  private readonly writeAcc = new Int32Array(2 * MAX_FRAMES);
  private writeInsn = 0;
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;
  /**
   * compute_postorder: each subprogram's instructions in DFS postorder, subprogram s at
   * [poStart[s], poStart[s + 1]); computed at the first update (a path that touches no stack
   * slot never needs it).
   */
  private postorder: Int32Array | null = null;
  private poStart: Int32Array | null = null;
  /**
   * Made with the postorder, for the fixpoint's inner step: per instruction its successors
   * within the subprogram (bpf_insn_successors: two words each, `succN` of them) and 1 where it
   * leaves the function (a tail call): update_insn runs for every instruction of the subprogram
   * in every round, and these would otherwise be decoded again each time.
   */
  private succN: Uint8Array | null = null;
  private succAt: Int32Array | null = null;
  private leaves: Uint8Array | null = null;
  /**
   * Per subprogram, 1 when every edge within it leads to a later instruction: it has no loop,
   * so its masks have one solution, which a single round from its last instruction back to its
   * first computes (each instruction from its successors' final masks). Without a log (which
   * counts the kernel's rounds) such a subprogram needs neither the postorder nor the rounds.
   */
  private forwardOnly: Uint8Array | null = null;

  constructor(
    private readonly flow: LivenessFlow,
    /** bpf_calls_callback: the instruction is a helper or kfunc call that runs a callback synchronously. */
    private readonly callsCallback: (pc: number) => boolean,
    /**
     * A bpf_tail_call: when it succeeds the function is left right there, so it is an exit edge too
     * (nothing after it is certain to be written), besides falling through to the next instruction.
     */
    private readonly leavesFunction: (pc: number) => boolean,
    /** Level-2 log lines (the masks' changes as each fixpoint step finds them), or null. */
    private readonly log: ((line: string) => void) | null = null,
    /** Prune points (their masks are logged even when the instruction itself touches no stack). */
    private readonly prunePoint: Uint8Array | null = null,
  ) {
    const subs = flow.subprogs;
    this.starts = zeroedI32(subs.length);
    this.ends = zeroedI32(subs.length);
    for (let i = 0; i < subs.length; i++) { this.starts[i] = subs[i]!.start; this.ends[i] = subs[i]!.end; }
  }

  /** The call chain of frames 0..fi of `st` as a key; fills the scratch arrays. */
  private chainOf(st: VState, fi: number): string {
    let key = '';
    for (let i = 0; i <= fi; i++) {
      const start = this.starts[st.frames[i]!.subprog]!;
      chainStarts[i] = start;
      chainSites[i] = i < fi ? st.frames[i + 1]!.callsite : start;
      key += i ? ',' + chainSites[i] : String(chainSites[i]);
    }
    return key;
  }

  private byChain(key: string, depth: number): FuncInstance {
    let inst = this.instances.get(key);
    if (inst) return inst;
    const start = chainStarts[depth]!;
    let end = start + 1;
    for (let s = 0; s < this.starts.length; s++) if (this.starts[s] === start) { end = this.ends[s]!; break; }
    inst = new FuncInstance(key, chainSites.slice(0, depth + 1), chainStarts.slice(0, depth + 1), end - start);
    this.instances.set(key, inst);
    return inst;
  }

  /** Per subprogram: the instance of the chain of that subprogram alone (found without a key). */
  private readonly roots: (FuncInstance | undefined)[] = [];

  /** lookup_instance: the instance for frames 0..fi of `st`. */
  private lookup(st: VState, fi: number): FuncInstance {
    if (fi !== 0) return this.byChain(this.chainOf(st, fi), fi);
    const sub = st.frames[0]!.subprog;
    return (this.roots[sub] ??= this.byChain(this.chainOf(st, 0), 0));
  }

  /** bpf_reset_live_stack_callchain: the current state's call chain changed (a call). */
  resetCallchain(): void {
    this.cur = null;
  }

  private ensureCur(st: VState): FuncInstance {
    return (this.cur ??= this.lookup(st, st.frames.length - 1));
  }

  /** bpf_mark_stack_read: instruction `pc` of the current state reads slot `spi` of frame `frame`. */
  markRead(st: VState, frame: number, pc: number, spi: number): void {
    if (spi < 32) this.addRead(this.ensureCur(st), frame, pc, 1 << spi, 0);
    else this.addRead(this.ensureCur(st), frame, pc, 0, 1 << (spi - 32));
  }

  /** mark_stack_read: may_read |= mask; the instance needs an update when that adds to live_before. */
  private addRead(inst: FuncInstance, frame: number, pc: number, lo: number, hi: number): void {
    const m = inst.frameMasks(frame);
    const i = (pc - inst.start) * STRIDE;
    const rlo = m[i + MAY_READ]! | lo;
    const rhi = m[i + MAY_READ + 1]! | hi;
    if ((rlo !== m[i + MAY_READ] || rhi !== m[i + MAY_READ + 1]) &&
      ((rlo | m[i + LIVE_BEFORE]!) !== m[i + LIVE_BEFORE] || (rhi | m[i + LIVE_BEFORE + 1]!) !== m[i + LIVE_BEFORE + 1])) inst.updated = true;
    m[i + MAY_READ] = rlo;
    m[i + MAY_READ + 1] = rhi;
  }

  /** bpf_reset_stack_write_marks: the writes of instruction `pc` (of the current state) are collected from here. */
  resetWrites(st: VState, pc: number): void {
    this.startWrites(this.ensureCur(st), pc);
  }

  private startWrites(inst: FuncInstance, pc: number): void {
    this.writeInsn = pc;
    // (a loop: this runs before every instruction, and TypedArray.fill is a call into the runtime)
    const acc = this.writeAcc;
    for (let i = 2 * inst.depth + 1; i >= 0; i--) acc[i] = 0;
  }

  /** bpf_mark_stack_write: the current instruction writes all 8 bytes of slot `spi` of frame `frame`. */
  markWrite(frame: number, spi: number): void {
    if (spi < 32) this.writeAcc[2 * frame] = this.writeAcc[2 * frame]! | 1 << spi;
    else this.writeAcc[2 * frame + 1] = this.writeAcc[2 * frame + 1]! | 1 << (spi - 32);
  }

  /** bpf_commit_stack_write_marks: the collected writes become (or narrow) the instruction's must_write. */
  commitWrites(): void {
    if (this.cur) this.commitTo(this.cur);
  }

  private commitTo(inst: FuncInstance): void {
    const idx = this.writeInsn - inst.start;
    const acc = this.writeAcc;
    for (let frame = 0; frame <= inst.depth; frame++) {
      let lo = acc[2 * frame]!;
      let hi = acc[2 * frame + 1]!;
      const seen = inst.mustWriteSet[idx] === 1;
      if (lo === 0 && hi === 0 && !seen) continue; // no masks for a frame never written
      const m = inst.frameMasks(frame);
      const i = idx * STRIDE + MUST_WRITE;
      // commit_stack_write_marks keeps the old must_write in a u32: only its low half takes part
      // below, so a revisit drops the high slots (fp-264 and beyond) from the intersection.
      const oldLo = m[i]!;
      if (seen) { lo &= oldLo; hi = 0; }
      if (oldLo !== lo || hi !== 0) {
        m[i] = lo;
        m[i + 1] = hi;
        inst.updated = true;
      }
      if (oldLo & ~lo) inst.mustWriteDropped = true;
    }
    inst.mustWriteSet[idx] = 1;
    this.writeInsn = 0;
  }

  /**
   * bpf_update_live_stack: after a path ended or a subprogram returned, every instance of the
   * current state's chain whose marks changed is solved again, the innermost first (its entry
   * feeds the call instruction of the next).
   */
  updateLiveStack(st: VState): void {
    this.cur = null;
    for (let fi = st.frames.length - 1; fi >= 0; fi--) {
      const inst = this.lookup(st, fi);
      if (!inst.updated) continue;
      this.updateInstance(inst);
      inst.updated = false;
      inst.mustWriteDropped = false;
    }
  }

  /** update_instance: the fixpoint of live_before and must_write_acc, then the caller's call instruction. */
  private updateInstance(inst: FuncInstance): void {
    const start = inst.start;
    if (inst.mustWriteDropped) {
      // must_write shrank somewhere: must_write_acc is recomputed from nothing
      for (const m of inst.frames) if (m) for (let i = MUST_WRITE_ACC; i < m.length; i += STRIDE) { m[i] = 0; m[i + 1] = 0; }
    }
    let sub = 0;
    while (sub < this.starts.length && this.starts[sub] !== start) sub++;
    if (!this.succN) this.tabulateSuccessors();
    if (!this.log && this.forwardOnly![sub] === 1) {
      const end = this.ends[sub]!;
      for (let frame = 0; frame <= inst.depth; frame++) {
        const m = inst.frames[frame];
        if (!m) continue;
        for (let pc = end - 1; pc >= start; pc--) this.updateInsn(inst, frame, m, pc);
      }
      if (inst.depth > 0) this.propagateToOuter(inst);
      return;
    }
    if (!this.postorder) {
      this.postorder = zeroedI32(this.succN!.length);
      this.poStart = zeroedI32(this.starts.length + 1);
      computePostorder(this.flow, this.starts, this.postorder, this.poStart);
    }
    const po = this.postorder;
    const from = this.poStart![sub]!;
    const to = this.poStart![sub + 1]!;
    let changed = true;
    let iterations = 0;
    while (changed) {
      iterations++;
      changed = false;
      for (let frame = 0; frame <= inst.depth; frame++) {
        const m = inst.frames[frame];
        if (!m) continue;
        for (let i = from; i < to; i++) if (this.updateInsn(inst, frame, m, po[i]!)) changed = true;
      }
    }
    this.log?.(`(${inst.key}) live stack update done in ${iterations} iterations`);
    if (inst.depth > 0) this.propagateToOuter(inst);
  }

  /** The successor tables (succN, succAt, leaves) and forwardOnly, made at the first update. */
  private tabulateSuccessors(): void {
    const n = this.flow.succCount.length;
    const succN = (this.succN = zeroedU8(n));
    const succAt = (this.succAt = zeroedI32(2 * n));
    const leaves = (this.leaves = zeroedU8(n));
    const forwardOnly = (this.forwardOnly = zeroedU8(this.starts.length));
    for (let sub = 0; sub < this.starts.length; sub++) {
      let forward = 1;
      for (let pc = this.starts[sub]!; pc < this.ends[sub]!; pc++) {
        const k = successors(this.flow, pc);
        succN[pc] = k;
        for (let j = 0; j < k; j++) {
          succAt[2 * pc + j] = succ[j]!;
          if (succ[j]! <= pc) forward = 0;
        }
        if (k !== 0 && this.leavesFunction(pc)) leaves[pc] = 1;
      }
      forwardOnly[sub] = forward;
    }
  }

  /** update_insn: one step of both equations at `pc`; true when either mask changed. */
  private updateInsn(inst: FuncInstance, frame: number, m: Int32Array, pc: number): boolean {
    const start = inst.start;
    const n = this.succN![pc]!;
    if (n === 0) return false;
    const succAt = this.succAt!;
    let afterLo = 0;
    let afterHi = 0;
    let accLo = -1;
    let accHi = -1;
    for (let s = 0; s < n; s++) {
      const j = (succAt[2 * pc + s]! - start) * STRIDE;
      afterLo |= m[j + LIVE_BEFORE]!;
      afterHi |= m[j + LIVE_BEFORE + 1]!;
      accLo &= m[j + MUST_WRITE_ACC]!;
      accHi &= m[j + MUST_WRITE_ACC + 1]!;
    }
    // The exit edge of a tail call: an exit's must_write_acc is empty, and so is the intersection.
    if (this.leaves![pc] === 1) { accLo = 0; accHi = 0; }
    const i = (pc - start) * STRIDE;
    const wLo = m[i + MUST_WRITE]!;
    const wHi = m[i + MUST_WRITE + 1]!;
    accLo |= wLo;
    accHi |= wHi;
    const beforeLo = (afterLo & ~wLo) | m[i + MAY_READ]!;
    const beforeHi = (afterHi & ~wHi) | m[i + MAY_READ + 1]!;
    const changed = beforeLo !== m[i + LIVE_BEFORE] || beforeHi !== m[i + LIVE_BEFORE + 1] ||
      accLo !== m[i + MUST_WRITE_ACC] || accHi !== m[i + MUST_WRITE_ACC + 1];
    if (this.log && changed && (m[i + MAY_READ] || m[i + MAY_READ + 1] || wLo || wHi || pc === start || this.prunePoint?.[pc])) {
      this.logChange(inst, frame, pc, 'live', m[i + LIVE_BEFORE]!, m[i + LIVE_BEFORE + 1]!, beforeLo, beforeHi);
      this.logChange(inst, frame, pc, 'written', m[i + MUST_WRITE_ACC]!, m[i + MUST_WRITE_ACC + 1]!, accLo, accHi);
    }
    m[i + LIVE_BEFORE] = beforeLo;
    m[i + LIVE_BEFORE + 1] = beforeHi;
    m[i + MUST_WRITE_ACC] = accLo;
    m[i + MUST_WRITE_ACC + 1] = accHi;
    return changed;
  }

  /** log_mask_change: "(0,5) frame 1 insn 7 +live -8,-16 -written -24" for the bits that changed. */
  private logChange(inst: FuncInstance, frame: number, pc: number, what: string, oldLo: number, oldHi: number, lo: number, hi: number): void {
    if (oldLo === lo && oldHi === hi) return;
    let line = `(${inst.key}) frame ${frame} insn ${pc} `;
    if ((lo & ~oldLo) || (hi & ~oldHi)) line += `+${what} ${fmtStackMask(lo & ~oldLo, hi & ~oldHi)} `;
    if ((oldLo & ~lo) || (oldHi & ~hi)) line += `-${what} ${fmtStackMask(oldLo & ~lo, oldHi & ~hi)}`;
    this.log!(line);
  }

  /**
   * propagate_to_outer_instance: the callee's entry, as seen from the caller's chain: what it may
   * read of the outer frames is read by the call instruction, what it always writes is written by it.
   */
  private propagateToOuter(inst: FuncInstance): void {
    const depth = inst.depth;
    for (let i = 0; i < depth; i++) { chainStarts[i] = inst.spStarts[i]!; chainSites[i] = inst.callsites[i]!; }
    chainSites[depth - 1] = chainStarts[depth - 1]!;
    let key = '';
    for (let i = 0; i < depth; i++) key += i ? ',' + chainSites[i] : String(chainSites[i]);
    const outer = this.byChain(key, depth - 1);
    const callsite = inst.callsites[depth - 1]!;
    this.startWrites(outer, callsite);
    for (let frame = 0; frame < depth; frame++) {
      const m = inst.frames[frame];
      if (!m) continue;
      this.writeAcc[2 * frame] = this.writeAcc[2 * frame]! | m[MUST_WRITE_ACC]!;
      this.writeAcc[2 * frame + 1] = this.writeAcc[2 * frame + 1]! | m[MUST_WRITE_ACC + 1]!;
      this.addRead(outer, frame, callsite, m[LIVE_BEFORE]!, m[LIVE_BEFORE + 1]!);
    }
    this.commitTo(outer);
  }

  /**
   * bpf_live_stack_query_init + bpf_stack_slot_alive for every slot of every frame of `st`: per
   * frame two words of slots that may still be read, at st.pc in the innermost frame's chain or,
   * for an outer frame, after each call on the way there (before it, when the call runs a
   * callback, which may run again).
   */
  aliveSlots(st: VState): Int32Array {
    const n = st.frames.length;
    const out = new Int32Array(2 * n);
    const inner = this.lookup(st, n - 1);
    for (let fi = 0; fi < n; fi++) {
      liveBefore(inner, st.pc, fi, out, fi);
      for (let i = fi; i < n - 1; i++) {
        const callsite = inner.callsites[i]!;
        liveBefore(this.lookup(st, i), this.callsCallback(callsite) ? callsite : callsite + 1, fi, out, fi);
      }
    }
    return out;
  }
}

/** ORs live_before of `pc` in frame `frame` of `inst` into out[2*at], out[2*at+1]. */
function liveBefore(inst: FuncInstance, pc: number, frame: number, out: Int32Array, at: number): void {
  const m = inst.frames[frame];
  if (!m) return;
  const i = (pc - inst.start) * STRIDE + LIVE_BEFORE;
  out[2 * at] = out[2 * at]! | m[i]!;
  out[2 * at + 1] = out[2 * at + 1]! | m[i + 1]!;
}

/** Whether bpflab stack slot `k` (bytes fp-512+8k..) is set in alive masks of frame `fi`. */
export function slotAlive(alive: Int32Array, fi: number, k: number): boolean {
  const spi = 63 - k;
  return spi < 32 ? (alive[2 * fi]! & (1 << spi)) !== 0 : (alive[2 * fi + 1]! & (1 << (spi - 32))) !== 0;
}

/** bpf_fmt_stack_mask: the slots' frame offsets, "-8,-24". */
function fmtStackMask(lo: number, hi: number): string {
  let s = '';
  for (let spi = 0; spi < 64; spi++) {
    if (!(spi < 32 ? lo & (1 << spi) : hi & (1 << (spi - 32)))) continue;
    s += (s ? ',' : '') + -(spi + 1) * 8;
  }
  return s;
}

/**
 * compute_postorder: per subprogram, a depth-first walk from its start over bpf_insn_successors
 * (the jump target taken first: pushed last), each instruction listed once all it leads to is.
 */
function computePostorder(flow: LivenessFlow, starts: Int32Array, postorder: Int32Array, poStart: Int32Array): void {
  const DISCOVERED = 1;
  const EXPLORED = 2;
  const n = flow.succCount.length;
  const state = zeroedU8(n);
  const stack = zeroedI32(n);
  let cur = 0;
  for (let sp = 0; sp < starts.length; sp++) {
    poStart[sp] = cur;
    if (starts[sp]! >= n) continue;
    stack[0] = starts[sp]!;
    let top = 1;
    while (top > 0) {
      const pc = stack[top - 1]!;
      state[pc] = state[pc]! | DISCOVERED;
      if (state[pc]! & EXPLORED) {
        postorder[cur++] = pc;
        top--;
        continue;
      }
      const k = successors(flow, pc);
      for (let s = 0; s < k; s++) {
        const t = succ[s]!;
        if (state[t]) continue;
        stack[top++] = t;
        state[t] = DISCOVERED;
      }
      state[pc] = state[pc]! | EXPLORED;
    }
  }
  poStart[starts.length] = cur;
}

/** Scratch call chain, filled by chainOf (the longest chain has MAX_FRAMES frames). */
const chainSites = new Int32Array(MAX_FRAMES);
const chainStarts = new Int32Array(MAX_FRAMES);
/** bpf_insn_successors' result. */
const succ = new Int32Array(2);

/**
 * bpf_insn_successors: the CFG's successors within the subprogram (the next instruction, not
 * after exit or ja, then the jump target); a bpf-to-bpf call continues at the next instruction.
 */
function successors(flow: LivenessFlow, pc: number): number {
  let n = 0;
  for (let i = 2 * pc, end = i + flow.succCount[pc]!; i < end; i++) if (flow.succKind[i] !== CALL_EDGE) succ[n++] = flow.succTo[i]!;
  return n;
}

/**
 * The control-flow graph and the kernel's structural checks (check_subprogs, check_cfg):
 * subprograms, basic blocks and edges as a graphlib graph (the reports draw it), plus the
 * rejections the kernel makes before any path is explored.
 */
import { Graph } from '@dagrejs/graphlib';
import type { Insn } from '../isa/insn.js';
import * as op from '../isa/opcodes.js';
import { Reject } from './error-kinds.js';
import { zeroedI32, zeroedU8 } from './flat-arrays.js';

export type EdgeKind = 'fallthrough' | 'jump' | 'taken' | 'call';
/** Edge kinds as stored in Cfg.succKind (index into EDGE_KINDS). */
export const EDGE_KINDS: readonly EdgeKind[] = ['fallthrough', 'jump', 'taken', 'call'];
const FALLTHROUGH = 0;
const JUMP = 1;
const TAKEN = 2;
/** The edge kind of a bpf-to-bpf call into its callee (EDGE_KINDS[CALL_EDGE] === 'call'). */
export const CALL_EDGE = 3;
const CALL = CALL_EDGE;

export interface Block {
  /** Graph node name: `b<start>`. */
  id: string;
  start: number;
  /** Last instruction slot of the block (inclusive; the second slot of a trailing ld_imm64). */
  end: number;
  subprog: number;
}

/** A bpf_tail_call helper call (the kernel's has_tail_call / check_abnormal_return test). */
export const isTailCall = (ins: Insn): boolean => ins.code === (op.BPF_JMP | op.BPF_CALL) && ins.src === 0 && ins.imm === 12;

export interface Subprog {
  start: number;
  /** One past the last slot. */
  end: number;
  /** Reached only through ld_imm64 src=4 (a callback), not by a call instruction. */
  callback: boolean;
}

/**
 * find_subprog: the index of the subprogram starting at `pc`, or -1 (a binary search: subprograms
 * are in order of their starts).
 */
export function findSubprog(subprogs: readonly Subprog[], pc: number): number {
  let lo = 0, hi = subprogs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const start = subprogs[mid]!.start;
    if (start === pc) return mid;
    if (start < pc) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

export type CfgGraph = Graph<string, Block, { kind: EdgeKind }>;

export interface Cfg {
  /** Blocks and edges as a graphlib graph (built lazily on first read: reports and analysis only). */
  readonly graph: CfgGraph;
  /** Basic blocks (built lazily on first read). */
  readonly blocks: Block[];
  subprogs: Subprog[];
  /** Block index that contains each slot (built with the blocks). */
  readonly blockOf: Int32Array;
  /** 1 where the slot is the second half of an ld_imm64. */
  second: Uint8Array;
  /** Successors of instruction pc: succCount[pc] (0-2) entries at succTo/succKind[2 * pc + i] (kinds: EDGE_KINDS). */
  succCount: Uint8Array;
  succTo: Int32Array;
  succKind: Uint8Array;
  /**
   * 1 where is_state_visited runs (the kernel's mark_prune_point in visit_insn): conditional
   * jumps themselves and their targets, ja targets, the instruction after every call, pseudo
   * calls and callee entries.
   */
  prunePoint: Uint8Array;
  /** 1 where a path may arrive non-linearly (mark_jmp_point): each visit is a jump-history entry. */
  jmpPoint: Uint8Array;
  /** 1 where a checkpoint is always made (mark_force_checkpoint: callback-calling helpers, may_goto). */
  forceCheckpoint: Uint8Array;
  /** 1 at targets of back-edges (loop heads). */
  loopHead: Uint8Array;
  /** Back-edges found (from, to). */
  backEdges: [number, number][];
}

export interface CfgOptions {
  /** Reject back-edges (the kernel does for unprivileged loaders). Default false. */
  rejectLoops?: boolean;
  /**
   * First insn of the exception callback (from the main function's BTF decl tag): a subprogram
   * even when nothing calls it (add_subprog), and a root of check_cfg's walk.
   */
  exceptionCb?: number;
  /** The result of checkSubprogs on these insns, when the caller ran it already (at its place in the kernel's order). */
  checked?: CheckedSubprogs;
}

/** What check_subprogs leaves: the second slots of the ld_imm64 pairs and the subprograms. */
export interface CheckedSubprogs {
  readonly second: Uint8Array;
  readonly subprogs: Subprog[];
}

/**
 * add_subprog and check_subprogs: the subprograms' starts (pseudo calls, callbacks, the exception
 * callback), then in each, jumps that stay inside it and a last insn that is an exit or a jump.
 * The kernel runs them before resolve_pseudo_ldimm64 looks at the instructions themselves.
 */
export function checkSubprogs(insns: readonly Insn[], exceptionCb?: number): CheckedSubprogs {
  const second = ldImm64Seconds(insns);
  const subprogs = findSubprogs(insns, second, exceptionCb);
  for (const sp of subprogs) checkSubprog(insns, second, sp);
  return { second, subprogs };
}

const isJmp = (c: number): boolean => op.cls(c) === op.BPF_JMP || op.cls(c) === op.BPF_JMP32;

/** Pseudo-call and callback targets: the subprogram starts. */
function findSubprogs(insns: readonly Insn[], second: Uint8Array, extra: number | undefined): Subprog[] {
  const n = insns.length;
  // Per slot: 0, or what starts there (CALLED: the main program, a call's target or the exception
  // callback; CALLBACK: reached only through ld_imm64 src=4). Marks in slot order need no sorting.
  const CALLED = 1;
  const CALLBACK = 2;
  const startAt = zeroedU8(n);
  startAt[0] = CALLED;
  if (extra) startAt[extra] = CALLED;
  let more = extra ? 1 : 0;
  for (let pc = 0; pc < n; pc++) {
    if (second[pc]) continue;
    const ins = insns[pc]!;
    const call = ins.code === (op.BPF_JMP | op.BPF_CALL) && ins.src === op.BPF_PSEUDO_CALL;
    if (!call && !(ins.code === op.BPF_LD_IMM64 && ins.src === op.BPF_PSEUDO_FUNC)) continue;
    const t = pc + 1 + ins.imm;
    if (t < 0 || t >= n) throw new Reject(pc, 'cfg_jump_out_of_range', 'call to invalid destination');
    if (!startAt[t]) { startAt[t] = call ? CALLED : CALLBACK; more++; }
  }
  // Most programs call nothing: one subprogram.
  if (more === 0) return [{ start: 0, end: n, callback: false }];
  const subprogs: Subprog[] = [];
  for (let pc = 0; pc < n; pc++) {
    if (!startAt[pc]) continue;
    if (subprogs.length) subprogs[subprogs.length - 1]!.end = pc;
    subprogs.push({ start: pc, end: n, callback: startAt[pc] === CALLBACK });
  }
  return subprogs;
}

/** Helpers that call a callback an unknown number of times (is_sync_callback_calling_function). */
const SYNC_CALLBACK_HELPERS = new Set([164 /* for_each_map_elem */, 180 /* find_vma */, 181 /* loop */, 209 /* user_ringbuf_drain */]);
const MAY_GOTO = op.BPF_JMP | 0xe0;

/** The kernel's prune, jump-history and forced-checkpoint points (visit_insn, push_insn, visit_func_call_insn). */
function markPrunePoints(insns: readonly Insn[], second: Uint8Array, prune: Uint8Array, jmp: Uint8Array, force: Uint8Array): void {
  const n = insns.length;
  const mark = (pc: number, isJmpPoint: boolean): void => {
    if (pc < 0 || pc >= n) return;
    prune[pc] = 1;
    if (isJmpPoint) jmp[pc] = 1;
  };
  for (let pc = 0; pc < n; pc++) {
    if (second[pc]) continue;
    const ins = insns[pc]!;
    if (ins.code === op.BPF_LD_IMM64) {
      // A callback reference is visited as a call (visit_func_call_insn with the callee).
      if (ins.src === op.BPF_PSEUDO_FUNC) { mark(pc + 2, true); mark(pc, false); mark(pc + 1 + ins.imm, true); }
      continue;
    }
    if (!isJmp(ins.code)) continue;
    const o = op.jmpOp(ins.code);
    if (o === op.BPF_EXIT) continue;
    if (o === op.BPF_CALL) {
      if (ins.src === 0 && SYNC_CALLBACK_HELPERS.has(ins.imm)) { force[pc] = 1; mark(pc, true); }
      mark(pc + 1, true);
      if (ins.src === op.BPF_PSEUDO_CALL) { mark(pc, false); mark(pc + 1 + ins.imm, true); }
      continue;
    }
    if (o === op.BPF_JA) { mark(pc + 1 + (op.cls(ins.code) === op.BPF_JMP32 ? ins.imm : ins.off), true); continue; }
    // Conditional jumps: the jump itself and its target (the fall-through is not a prune point).
    mark(pc, false);
    if (ins.code === MAY_GOTO) force[pc] = 1;
    mark(pc + 1 + ins.off, true);
  }
}

/**
 * Builds the CFG and applies the kernel's structural rejections. Throws Reject.
 *
 * Each pass over the instructions is a function of its own. Every program is one call, so a
 * large program runs these loops unoptimised until V8 compiles the running loop on-stack. When
 * one pass loses its compiled code (V8 drops it the first time a branch that earlier programs
 * never took runs), only that pass does, and the on-stack compilation of a small function is
 * quick. As one function, the first program with a loop in a process (the nested-loop row of the
 * benchmark) sent every pass back to the interpreter, and the next large program (the 130,000-insn
 * straight line) paid 3 to 5 times its usual CFG time.
 */
export function buildCfg(insns: readonly Insn[], opts: CfgOptions = {}): Cfg {
  const n = insns.length;
  const { second, subprogs } = opts.checked ?? checkSubprogs(insns, opts.exceptionCb);
  // Successors of each instruction (intra-procedural; calls fall through and also enter the
  // callee), in flat arrays: at most two per instruction, computed once per program.
  const succCount = zeroedU8(n);
  const succTo = zeroedI32(2 * n);
  const succKind = zeroedU8(2 * n);
  successors(insns, second, succCount, succTo, succKind);
  const prunePoint = zeroedU8(n);
  const jmpPoint = zeroedU8(n);
  const forceCheckpoint = zeroedU8(n);
  markPrunePoints(insns, second, prunePoint, jmpPoint, forceCheckpoint);
  const loopHead = zeroedU8(n);
  const backEdges: [number, number][] = [];
  const color = zeroedU8(n); // 0 white, 1 on stack, 2 done
  const roots = [0, ...subprogs.filter((s) => s.callback).map((s) => s.start)];
  if (opts.exceptionCb) roots.push(opts.exceptionCb);
  for (const i of checkCfg(roots, second, succCount, succTo, succKind, color, loopHead, opts.rejectLoops === true)) backEdges.push([i >> 1, succTo[i]!]);
  checkReachable(second, color);
  // A subprogram's entry is a call's (or callback's) target; the main program's is not, unless
  // a jump leads back to it (only BPF_F_TEST_STATE_FREQ would keep a checkpoint there).
  for (const sp of subprogs) if (sp.start !== 0) prunePoint[sp.start] = 1;

  return new FlatCfg(insns, subprogs, second, succCount, succTo, succKind, prunePoint, jmpPoint, forceCheckpoint, loopHead, backEdges);
}

/** 1 at the second slot of each ld_imm64. */
function ldImm64Seconds(insns: readonly Insn[]): Uint8Array {
  const n = insns.length;
  const second = zeroedU8(n);
  for (let pc = 0; pc < n; pc++) if (insns[pc]!.code === op.BPF_LD_IMM64) { if (pc + 1 < n) second[pc + 1] = 1; pc++; }
  return second;
}

/** check_subprogs for one subprogram: jumps stay inside it; it ends in exit or ja. */
function checkSubprog(insns: readonly Insn[], second: Uint8Array, sp: Subprog): void {
  for (let pc = sp.start; pc < sp.end; pc++) {
    if (second[pc]) continue;
    const ins = insns[pc]!;
    if (!isJmp(ins.code)) continue;
    const o = op.jmpOp(ins.code);
    if (o === op.BPF_CALL || o === op.BPF_EXIT) continue;
    const t = pc + 1 + (o === op.BPF_JA && op.cls(ins.code) === op.BPF_JMP32 ? ins.imm : ins.off);
    if (t < sp.start || t >= sp.end) throw new Reject(pc, 'cfg_jump_out_of_range', `jump out of range from insn ${pc} to ${t}`);
  }
  const lastPc = second[sp.end - 1] ? sp.end - 2 : sp.end - 1;
  const last = insns[lastPc]!;
  const lastOk = last.code === (op.BPF_JMP | op.BPF_EXIT) || last.code === (op.BPF_JMP | op.BPF_JA) || last.code === (op.BPF_JMP32 | op.BPF_JA);
  if (!lastOk) throw new Reject(lastPc, 'cfg_last_insn', 'last insn is not an exit or jmp');
}

/** Fills the successor tables: succCount[pc] edges at succTo/succKind[2 * pc + i]. */
function successors(insns: readonly Insn[], second: Uint8Array, succCount: Uint8Array, succTo: Int32Array, succKind: Uint8Array): void {
  const n = insns.length;
  const edge = (pc: number, to: number, kind: number): void => {
    const i = 2 * pc + succCount[pc]!++;
    succTo[i] = to;
    succKind[i] = kind;
  };
  for (let pc = 0; pc < n; pc++) {
    if (second[pc]) continue;
    const ins = insns[pc]!;
    const next = ins.code === op.BPF_LD_IMM64 ? pc + 2 : pc + 1;
    if (!isJmp(ins.code)) { if (next < n) edge(pc, next, FALLTHROUGH); continue; }
    const o = op.jmpOp(ins.code);
    if (o === op.BPF_EXIT) continue;
    if (o === op.BPF_CALL) {
      edge(pc, next, FALLTHROUGH);
      if (ins.src === op.BPF_PSEUDO_CALL) edge(pc, pc + 1 + ins.imm, CALL);
    } else if (o === op.BPF_JA) edge(pc, pc + 1 + (op.cls(ins.code) === op.BPF_JMP32 ? ins.imm : ins.off), JUMP);
    else { edge(pc, next, FALLTHROUGH); edge(pc, pc + 1 + ins.off, TAKEN); }
  }
}

/**
 * check_cfg: iterative DFS from each root over the successor tables, leaving 2 in `color` at
 * every reached slot and 1 in `loopHead` at every back-edge target. Returns the back-edges as
 * the edge indices (2 * from + i) in the order the walk met them.
 *
 * An edge to a slot already reached is a back-edge when that slot is still on the walk's stack.
 * It is recorded without a branch of its own: until a program with a loop comes, such a branch
 * would never have run, and V8 would drop this loop's compiled code the first time it does.
 */
function checkCfg(roots: readonly number[], second: Uint8Array, succCount: Uint8Array, succTo: Int32Array, succKind: Uint8Array,
  color: Uint8Array, loopHead: Uint8Array, rejectLoops: boolean): number[] {
  const n = second.length;
  const back: number[] = [];
  let nBack = 0;
  const stack = zeroedI32(n);
  const nextEdge = zeroedU8(n);
  for (const root of roots) {
    if (color[root]) continue;
    color[root] = 1;
    let sp = 0;
    stack[sp++] = root;
    while (sp > 0) {
      const t = stack[sp - 1]!;
      if (nextEdge[t]! >= succCount[t]!) { color[t] = 2; sp--; continue; }
      const i = 2 * t + nextEdge[t]!++;
      const to = succTo[i]!;
      if (to < 0 || to >= n) throw new Reject(t, 'cfg_jump_out_of_range', `jump out of range from insn ${t} to ${to}`);
      if (second[to]) throw new Reject(t, 'cfg_jump_out_of_range', `jump to the middle of ldimm64 insn ${to - 1}`);
      const c = color[to]!;
      if (c !== 0) {
        // 1: on the stack, a back-edge (unless it enters a function that is still running: a
        // recursion, rejected when explored); 2: done, a join.
        const isBack = (c & 1) & (succKind[i] === CALL ? 0 : 1);
        if (isBack & (rejectLoops ? 1 : 0)) throw new Reject(t, 'cfg_back_edge', `back-edge from insn ${t} to ${to}`);
        back[nBack] = i;
        nBack += isBack;
        loopHead[to] = loopHead[to]! | isBack;
        continue;
      }
      color[to] = 1;
      stack[sp++] = to;
    }
  }
  back.length = nBack;
  return back;
}

/** Every slot but the second halves of ld_imm64 was reached by checkCfg. */
function checkReachable(second: Uint8Array, color: Uint8Array): void {
  for (let pc = 0; pc < second.length; pc++) if (!second[pc] && !color[pc]) throw new Reject(pc, 'cfg_unreachable', `unreachable insn ${pc}`);
}

/**
 * The CFG of one program. A class, not an object literal with getters: a literal's accessors are
 * new closures each time, so every CFG would get a hidden class of its own (costly to make, and
 * garbage only a full GC collects).
 */
class FlatCfg implements Cfg {
  /** Blocks and the graphlib graph are for reports and analysis: built on first use, never on the verifier's path. */
  private bb: { blocks: Block[]; blockOf: Int32Array } | null = null;
  private g: CfgGraph | null = null;

  constructor(
    private readonly insns: readonly Insn[],
    public subprogs: Subprog[],
    public second: Uint8Array,
    public succCount: Uint8Array,
    public succTo: Int32Array,
    public succKind: Uint8Array,
    public prunePoint: Uint8Array,
    public jmpPoint: Uint8Array,
    public forceCheckpoint: Uint8Array,
    public loopHead: Uint8Array,
    public backEdges: [number, number][],
  ) {}

  private blocksOf(): { blocks: Block[]; blockOf: Int32Array } {
    return (this.bb ??= basicBlocks(this.insns, this.subprogs, this.second, this.succCount, this.succTo, this.succKind));
  }

  get blocks(): Block[] { return this.blocksOf().blocks; }
  get blockOf(): Int32Array { return this.blocksOf().blockOf; }
  get graph(): CfgGraph {
    return (this.g ??= blockGraph(this.blocksOf().blocks, this.blocksOf().blockOf, this.second, (pc) => this.succ(pc)));
  }

  private succ(pc: number): { to: number; kind: EdgeKind }[] {
    const out: { to: number; kind: EdgeKind }[] = [];
    for (let i = 2 * pc; i < 2 * pc + this.succCount[pc]!; i++) out.push({ to: this.succTo[i]!, kind: EDGE_KINDS[this.succKind[i]!]! });
    return out;
  }
}

/** Basic blocks: leaders are subprogram starts, jump targets, and instructions after jumps/calls/exits. */
function basicBlocks(insns: readonly Insn[], subprogs: readonly Subprog[], second: Uint8Array, succCount: Uint8Array, succTo: Int32Array, succKind: Uint8Array): { blocks: Block[]; blockOf: Int32Array } {
  const n = insns.length;
  const subOf = new Int32Array(n);
  subprogs.forEach((sp, i) => subOf.fill(i, sp.start, sp.end));
  const leader = new Uint8Array(n);
  for (const sp of subprogs) leader[sp.start] = 1;
  for (let pc = 0; pc < n; pc++) {
    if (second[pc]) continue;
    const ins = insns[pc]!;
    if (!isJmp(ins.code)) continue;
    const o = op.jmpOp(ins.code);
    if (o === op.BPF_CALL && ins.src !== op.BPF_PSEUDO_CALL) continue; // helper calls do not end a block
    if (pc + 1 < n) leader[pc + 1] = 1;
    for (let i = 2 * pc; i < 2 * pc + succCount[pc]!; i++) if (succKind[i] !== CALL) leader[succTo[i]!] = 1;
  }
  const blocks: Block[] = [];
  const blockOf = new Int32Array(n).fill(-1);
  for (let pc = 0; pc < n; pc++) {
    if (leader[pc] || pc === 0) blocks.push({ id: `b${pc}`, start: pc, end: pc, subprog: subOf[pc]! });
    const b = blocks[blocks.length - 1]!;
    b.end = pc;
    blockOf[pc] = blocks.length - 1;
  }
  return { blocks, blockOf };
}

function blockGraph(blocks: readonly Block[], blockOf: Int32Array, second: Uint8Array, succ: (pc: number) => { to: number; kind: EdgeKind }[]): CfgGraph {
  const graph: CfgGraph = new Graph<string, Block, { kind: EdgeKind }>({ directed: true, multigraph: true });
  graph.setGraph('cfg');
  for (const b of blocks) graph.setNode(b.id, b);
  for (const b of blocks) {
    const lastPc = second[b.end] ? b.end - 1 : b.end;
    for (const e of succ(lastPc)) {
      const to = blocks[blockOf[e.to]!]!;
      graph.setEdge(b.id, to.id, { kind: e.kind }, e.kind);
    }
  }
  return graph;
}

/**
 * Loops as strongly connected components of the instruction graph, and the kernel's SCC visits
 * (6.18: compute_scc, maybe_enter_scc, maybe_exit_scc, add_scc_backedge,
 * incomplete_read_marks). A visit of a loop starts at the first checkpoint made inside it and
 * ends when that checkpoint's paths are all explored. While a visit that already converged
 * somewhere (an iterator, may_goto or callback loop hit: a "backedge") is open, the states
 * explored inside it may still lack what later iterations need, so pruning against a finished
 * checkpoint of that loop compares every live register and slot by range (RANGE_WITHIN) rather
 * than only what was read and made precise.
 */
import type { Cfg } from './cfg.js';
import { EDGE_KINDS } from './cfg.js';
import type { Checkpoint, VState } from './state.js';
import { zeroedI32, zeroedU8 } from './flat-arrays.js';

const CALL_EDGE = EDGE_KINDS.indexOf('call');

/**
 * compute_scc: per instruction, its loop's id (1-based), 0 outside loops. Calls are followed by
 * their next instruction only. An instruction for which `implicitLoop` holds (a helper call that
 * runs a callback: the callback's visits loop back to it) is a loop even alone.
 *
 * The walk's steps that only loops take (an edge to a node still on the stack, a component of
 * several nodes) share the code of the steps every program takes. Each program calls this once,
 * so a large one runs it unoptimised until V8 compiles the running loop; a branch that only the
 * first program with a loop ever takes would make V8 drop the compiled code there, and the next
 * large program would pay for it.
 */
export function computeScc(cfg: Cfg, n: number, implicitLoop?: (pc: number) => boolean): Int32Array {
  const scc = zeroedI32(n);
  // Every edge leading forward and no callback-running call: each instruction is a component of
  // its own without a self edge, none a loop, so the walk would leave every id 0 (most programs).
  if (forwardOnly(cfg, n, implicitLoop)) return scc;
  const index = zeroedI32(n).fill(-1);
  const low = zeroedI32(n);
  const onStack = zeroedU8(n);
  // Tarjan's stack, and the depth-first walk's (a node, the next successor to visit): typed
  // arrays, each node enters each once (no allocation per instruction).
  const stack = zeroedI32(n);
  let sp = 0;
  const workNode = zeroedI32(n);
  const workNext = zeroedU8(n);
  let wp = 0;
  let next = 0;
  let ids = 0;
  const succ = (pc: number, i: number): number => (cfg.succKind[2 * pc + i] === CALL_EDGE ? -1 : cfg.succTo[2 * pc + i]!);
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    workNode[0] = root;
    workNext[0] = 0;
    wp = 1;
    index[root] = low[root] = next++;
    stack[sp++] = root;
    onStack[root] = 1;
    while (wp) {
      const v = workNode[wp - 1]!;
      const i = workNext[wp - 1]!;
      if (i < cfg.succCount[v]!) {
        workNext[wp - 1] = i + 1;
        const w = succ(v, i);
        if (w < 0 || w >= n) continue;
        if (index[w] === -1) {
          index[w] = low[w] = next++;
          stack[sp++] = w;
          onStack[w] = 1;
          workNode[wp] = w;
          workNext[wp] = 0;
          wp++;
        } else {
          // A successor still on the stack is in v's component. (Computed without a branch of
          // its own: see the note above the function.)
          const lv = low[v]!;
          const iw = index[w]!;
          const lower = iw < lv ? iw : lv;
          low[v] = onStack[w] ? lower : lv;
        }
        continue;
      }
      wp--;
      if (wp) { const u = workNode[wp - 1]!; low[u] = Math.min(low[u]!, low[v]!); }
      if (low[v] !== index[v]) continue;
      // v is the root of a component (v and the nodes above it on the stack): a loop if it has
      // several instructions or a self edge.
      const top = sp;
      let w: number;
      do { w = stack[--sp]!; onStack[w] = 0; } while (w !== v);
      let selfLoop = 0;
      for (let k = 0; k < cfg.succCount[v]!; k++) selfLoop |= succ(v, k) === v ? 1 : 0;
      const loop = top - sp > 1 || selfLoop !== 0 || implicitLoop?.(v) === true ? 1 : 0;
      ids += loop;
      const id = loop ? ids : 0;
      for (let j = sp; j < top; j++) scc[stack[j]!] = id;
    }
  }
  return scc;
}

/**
 * No loop can be found: no cycle of non-call edges (with no back-edge found by check_cfg, whose
 * depth-first walk meets one on every cycle; otherwise no edge but calls leads to the same or an
 * earlier instruction), and `implicitLoop` holds nowhere. Either way the walk would leave every id 0.
 */
function forwardOnly(cfg: Cfg, n: number, implicitLoop?: (pc: number) => boolean): boolean {
  const acyclic = cfg.backEdges.length === 0;
  for (let pc = 0; pc < n; pc++) {
    if (!acyclic) for (let i = 2 * pc; i < 2 * pc + cfg.succCount[pc]!; i++) if (cfg.succKind[i] !== CALL_EDGE && cfg.succTo[i]! <= pc) return false;
    if (implicitLoop?.(pc) === true) return false;
  }
  return true;
}

/** A path that ended because its state lay within `equal`, a checkpoint of the same loop still in progress. */
export interface Backedge {
  /** The path's state when it ended (its checkpoint chain is the loop's explored states). */
  st: VState;
  pc: number;
  equal: VState;
}

interface Visit {
  entry: Checkpoint | null;
  backedges: Backedge[];
}

/** The SCC visits of one exploration. */
export class SccVisits {
  private readonly visits = new Map<string, Visit>();
  /**
   * Backedges held by all visits: while there are none (most of the time; always in programs
   * without converging loops) no checkpoint's marks are incomplete, and `incomplete`, asked for
   * every checkpoint compared, answers without building the checkpoint's key.
   */
  private held = 0;
  /** Log level 2: "SCC enter (callsites,scc)" / "SCC exit (...)" lines (format_callchain). */
  log: ((line: string) => void) | undefined = undefined;

  constructor(private readonly scc: Int32Array) {}

  /** compute_scc_callchain: the outermost frame whose instruction lies in a loop, with the call sites above it. */
  private key(st: VState): string | undefined {
    const n = st.frames.length;
    let sites = '';
    for (let i = 0; i < n; i++) {
      const pc = i === n - 1 ? st.pc : st.frames[i + 1]!.callsite;
      const id = this.scc[pc] ?? 0;
      if (id) return `${sites}${id}`;
      sites += `${pc},`;
    }
    return undefined;
  }

  /** maybe_enter_scc, for a new checkpoint. */
  enter(cp: Checkpoint): void {
    const k = this.key(cp.st);
    if (k === undefined) return;
    const v = this.visits.get(k);
    if (v?.entry) return;
    if (!v) this.visits.set(k, { entry: cp, backedges: [] });
    else v.entry = cp;
    this.log?.(`SCC enter (${k})`);
  }

  /** maybe_exit_scc, for a checkpoint whose paths are all explored: the visit's backedges, to propagate precision along. */
  exit(cp: Checkpoint): Backedge[] | undefined {
    const k = this.key(cp.st);
    if (k === undefined) return undefined;
    const v = this.visits.get(k);
    if (!v || v.entry !== cp) return undefined;
    this.log?.(`SCC exit (${k})`);
    const backedges = v.backedges;
    v.entry = null;
    v.backedges = [];
    this.held -= backedges.length;
    return backedges.length ? backedges : undefined;
  }

  /** add_scc_backedge: the path in state `st` at `pc` converged on checkpoint `cp`. True when recorded. */
  addBackedge(cp: Checkpoint, st: VState, pc: number): boolean {
    const k = this.key(cp.st);
    const v = k === undefined ? undefined : this.visits.get(k);
    if (!v) return false;
    this.log?.(`SCC backedge (${k})`);
    v.backedges.push({ st, pc, equal: cp.st });
    this.held++;
    return true;
  }

  /** incomplete_read_marks: `cp` lies in a loop whose open visit has converged somewhere already. */
  incomplete(cp: Checkpoint): boolean {
    if (this.held === 0) return false;
    const k = this.key(cp.st);
    return k !== undefined && (this.visits.get(k)?.backedges.length ?? 0) > 0;
  }
}

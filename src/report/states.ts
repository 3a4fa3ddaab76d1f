/**
 * Per-instruction verifier states for a report, recorded while the verifier runs (its onInsn
 * hook) instead of from a kernel-format log: the log of a large program is tens of megabytes
 * and the report needs one state per pc, not one per processed instruction. For each pc the
 * first visit's whole state (before, and after when the same path goes on) is formatted once,
 * and the number of visits is counted; the failing path's own states come from the verifier's
 * `pathStates`. Stored compactly: every `NAME=value` entry once in a table, states as indices.
 */
import type { Program } from '../isa/program.js';
import { getDomain } from '../verifier/domains/domain.js';
import { verify, type VerifyOptions, type VerifyResult } from '../verifier/index.js';
import { Log } from '../verifier/log.js';
import type { VState } from '../verifier/state.js';
import { sortedEntries, splitState, type StateEntries } from './log-states.js';

/**
 * State of one pc: [visits, flags (1: the failing path's visit, 2: exact), frame, before, after].
 * `before`: entry indices, or 0 for "the state after pc-1" (straight-line code repeats it);
 * `after`: only what differs from `before`: entry indices set, -(index+1) for names removed.
 */
export type CompactPcState = [number, number, number, number[] | 0, number[]];

export interface CompactStates {
  /** Interned `NAME=value` entries. */
  entries: string[];
  /** pc -> its state (pcs never processed are absent). */
  pcs: Record<string, CompactPcState>;
}

export const PATH_VISIT = 1;
/** Longest run of pcs whose `before` refers to the previous pc's state. */
const CHAIN = 32;
export const EXACT = 2;

/** Parses a state in the log's format (" R1=ctx() R10=fp0 fp-8=mmmm") into sorted entries. */
export function stateEntries(text: string): { frame: number; entries: StateEntries } {
  const m = new Map<string, string>();
  let frame = 0;
  for (const tok of splitState(text.trim())) {
    const fm = /^frame(\d+):$/.exec(tok);
    if (fm) { frame = Number(fm[1]); continue; }
    const eq = tok.indexOf('=');
    if (eq > 0) m.set(tok.slice(0, eq).replace(/_[wrD]+$/, ''), tok.slice(eq + 1));
  }
  return { frame, entries: sortedEntries(m) };
}

/** Builds the compact table: entries interned, one row per pc. */
export class StateTable {
  readonly entries: string[] = [];
  readonly pcs: Record<string, CompactPcState> = {};
  private readonly ids = new Map<string, number>();

  private idsOf(es: StateEntries): number[] {
    return es.map(([k, v]) => {
      const key = `${k}=${v}`;
      let id = this.ids.get(key);
      if (id === undefined) { id = this.entries.length; this.entries.push(key); this.ids.set(key, id); }
      return id;
    });
  }

  private readonly raw = new Map<number, { visits: number; flags: number; frame: number; before: StateEntries; after: StateEntries }>();

  set(pc: number, visits: number, flags: number, frame: number, before: StateEntries, after: StateEntries): void {
    this.raw.set(pc, { visits, flags, frame, before, after });
  }

  /** The failing path's own states (the verifier's `pathStates`: exact, the last pass of each pc wins). */
  addPath(result: VerifyResult, visits: (pc: number) => number): boolean {
    const path = result.path;
    const ps = result.pathStates;
    if (!path || !ps || ps.length !== path.length) return false;
    for (let i = 0; i < ps.length; i++) if (ps[i]!.pc !== path[i]) return false;
    for (let i = 0; i < ps.length; i++) {
      const before = stateEntries(ps[i]!.regs);
      const after = i + 1 < ps.length ? stateEntries(ps[i + 1]!.regs).entries : before.entries;
      this.set(ps[i]!.pc, Math.max(1, visits(ps[i]!.pc)), PATH_VISIT | EXACT, before.frame, before.entries, after);
    }
    return true;
  }

  done(): CompactStates {
    const text = (es: StateEntries): string => es.map(([k, v]) => `${k}=${v}`).join(' ');
    for (const pc of [...this.raw.keys()].sort((x, y) => x - y)) {
      const r = this.raw.get(pc)!;
      const prev = this.raw.get(pc - 1);
      const b = new Map(r.before);
      const a = new Map(r.after);
      const delta: number[] = [];
      for (const [k, v] of r.after) if (b.get(k) !== v) delta.push(this.idsOf([[k, v]])[0]!);
      for (const [k, v] of r.before) if (!a.has(k)) delta.push(-this.idsOf([[k, v]])[0]! - 1);
      // a full state every CHAIN pcs bounds the decoder's walk back
      const same = pc % CHAIN !== 0 && prev !== undefined && text(prev.after) === text(r.before);
      this.pcs[pc] = [r.visits, r.flags, r.frame, same ? 0 : this.idsOf(r.before), delta];
    }
    return { entries: this.entries, pcs: this.pcs };
  }
}

/** Records the first visit of every pc through the verifier's onInsn hook. */
export class StateRecorder {
  readonly visits: Uint32Array;
  readonly before: (string | undefined)[];
  readonly after: (string | undefined)[];
  private readonly log: Log;
  private pendingPc = -1;
  private pendingState: VState | null = null;

  constructor(program: Program, opts: VerifyOptions = {}) {
    this.visits = new Uint32Array(program.insns.length);
    this.before = new Array(program.insns.length);
    this.after = new Array(program.insns.length);
    this.log = new Log(program, getDomain(opts.domain ?? 'kernel'), opts.disasm);
  }

  readonly onInsn = (pc: number, st: VState): void => {
    // the state the previous first visit led to, when the same path goes on from it
    if (this.pendingPc >= 0 && st === this.pendingState) this.after[this.pendingPc] = this.log.state(st);
    this.pendingPc = -1;
    this.pendingState = null;
    if (pc < 0 || pc >= this.visits.length) return;
    const seen = this.visits[pc]!;
    this.visits[pc] = seen + 1;
    if (seen === 0) {
      this.before[pc] = this.log.state(st);
      this.pendingPc = pc;
      this.pendingState = st;
    }
  };

  /** The compact states, with the failing path's own (exact) states where the result has them. */
  compact(result: VerifyResult): CompactStates {
    const t = new StateTable();
    for (let pc = 0; pc < this.visits.length; pc++) {
      const b = this.before[pc];
      if (b === undefined) continue;
      const before = stateEntries(b);
      const a = this.after[pc];
      t.set(pc, this.visits[pc]!, EXACT, before.frame, before.entries, a === undefined ? [] : stateEntries(a).entries);
    }
    t.addPath(result, (pc) => this.visits[pc] ?? 1);
    return t.done();
  }
}

/**
 * Verifies with a recorder: one run for the verdict and the states; a rejected program runs once
 * more with path states when `pathStates` allows (they format a state per processed instruction).
 */
export function verifyWithStates(program: Program, opts: VerifyOptions = {}, maxPathInsns = 200_000): { result: VerifyResult; states: CompactStates } {
  const rec = new StateRecorder(program, opts);
  let result = verify(program, { ...opts, log: false, pathStates: false, onInsn: rec.onInsn });
  if (result.verdict === 'reject' && result.processed > 0 && result.processed <= maxPathInsns) {
    const again = verify(program, { ...opts, log: false, pathStates: true });
    result = { ...again, ms: result.ms };
  }
  return { result, states: rec.compact(result) };
}


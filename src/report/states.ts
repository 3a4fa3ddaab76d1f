/**
 * Per-instruction verifier states for a report, recorded while the verifier runs (its onInsn
 * hook) instead of from a kernel-format log: the log of a large program is tens of megabytes
 * and the report needs one state per pc, not one per processed instruction. For each pc the
 * first visit's whole state (before, and after when the same path goes on) is kept and the
 * visits are counted; the failing path's own states replace them where the path passes a pc
 * more than once. Stored compactly and by column: every `NAME=value` entry once in a table,
 * a state as the entry indices, and for straight-line code only what each instruction changed.
 */
import type { Program } from '../isa/program.js';
import { getDomain } from '../verifier/domains/domain.js';
import { verify, type VerifyOptions, type VerifyResult } from '../verifier/index.js';
import { Log } from '../verifier/log.js';
import { T } from '../verifier/reg-types.js';
import type { Reg, VState } from '../verifier/state.js';
import { sortedEntries, splitState, type StateEntries } from './log-states.js';

/**
 * The states of the processed pcs, one row per pc in ascending order, by column. A row's state
 * before its instruction is either listed in `fullAt`/`fullLen`/`full`, or is the state after
 * the previous row (whose pc is then pc-1: straight-line code). The state after is the state
 * before with the row's `delta` applied.
 */
export interface CompactStates {
  /** Interned `NAME=value` entries. */
  entries: string[];
  /** Row -> pc (ascending). */
  pc: number[];
  /** Row -> how many times the verifier processed the pc. */
  visits: number[];
  /** Row -> PATH_VISIT | EXACT. */
  flags: number[];
  /** Row -> call depth of the state (0 = main program). */
  frame: number[];
  /** Rows whose state before is given whole (ascending; row 0 always). */
  fullAt: number[];
  /** Per `fullAt` row, how many entry indices it takes from `full`. */
  fullLen: number[];
  full: number[];
  /** Row -> how many changes it takes from `delta`. */
  deltaLen: number[];
  /** After-changes: an entry index set, or -(index+1) for a name removed. */
  delta: number[];
  /** Why some processed pcs have no state (a cap on huge programs), when so. */
  omitted?: string;
}

/** The failing path's visit. */
export const PATH_VISIT = 1;
/** A complete state (from the verifier), not one replayed from a level-1 log. */
export const EXACT = 2;
/** Above this many processed pcs a report embeds the states of the failing path's end and the failing pc's surroundings only. */
export const MAX_STATE_ROWS = 200_000;
/** Longest failing path a report explains (longer ones: `bpflab explain`, which checks them prefix by prefix). */
export const REPORT_EXPLAIN_PATH = 20_000;
/** Longest run of rows whose state before is the previous row's after (bounds a decoder's walk). */
const CHAIN = 32;

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

/** A pc's state: before = src[b0, b1), after = asrc[a0, a1) (asrc null: after = before). */
interface Row { visits: number; flags: number; frame: number; src: ArrayLike<number>; b0: number; b1: number; asrc: ArrayLike<number> | null; a0: number; a1: number }

/** Builds the compact table: entries interned, one row per pc, then packed by column. */
export class StateTable {
  readonly entries: string[] = [];
  private readonly ids = new Map<string, number>();
  /** Entry index -> index of its name (the text before '='), for deltas. */
  private readonly nameIds: number[] = [];
  private readonly names = new Map<string, number>();
  /** pc -> its row (holes: never processed). */
  private readonly rows: (Row | undefined)[] = [];

  /** The index of `NAME=value` (`name` is the text before '=' when the caller knows it), interned. */
  intern(text: string, name?: string): number {
    let id = this.ids.get(text);
    if (id === undefined) {
      id = this.entries.length;
      this.entries.push(text);
      this.ids.set(text, id);
      const nm = name ?? text.slice(0, Math.max(0, text.indexOf('=')));
      let n = this.names.get(nm);
      if (n === undefined) { n = this.names.size; this.names.set(nm, n); }
      this.nameIds.push(n);
    }
    return id;
  }

  private idsOf(es: StateEntries): number[] {
    return es.map(([k, v]) => this.intern(`${k}=${v}`, k));
  }

  set(pc: number, visits: number, flags: number, frame: number, before: StateEntries, after: StateEntries): void {
    const b = this.idsOf(before);
    const a = this.idsOf(after);
    this.rows[pc] = { visits, flags, frame, src: b, b0: 0, b1: b.length, asrc: a, a0: 0, a1: a.length };
  }

  /** Like `set`, with interned, sorted entry indices: before = src[b0, b1), after = asrc[a0, a1) (asrc null: the same as before). */
  setIds(pc: number, visits: number, flags: number, frame: number, src: ArrayLike<number>, b0: number, b1: number, asrc: ArrayLike<number> | null, a0 = 0, a1 = 0): void {
    this.rows[pc] = { visits, flags, frame, src, b0, b1, asrc, a0, a1 };
  }

  /** The failing path's own states (the verifier's `pathStates`: exact, the last pass of each pc wins). */
  addPath(result: VerifyResult, visits: (pc: number) => number): boolean {
    const path = result.path;
    const ps = result.pathStates;
    if (!path || !ps || ps.length !== path.length) return false;
    for (let i = 0; i < ps.length; i++) if (ps[i]!.pc !== path[i]) return false;
    let next = stateEntries(ps[0]!.regs);
    for (let i = 0; i < ps.length; i++) {
      const before = next;
      if (i + 1 < ps.length) next = stateEntries(ps[i + 1]!.regs);
      this.set(ps[i]!.pc, Math.max(1, visits(ps[i]!.pc)), PATH_VISIT | EXACT, before.frame, before.entries, next.entries);
    }
    return true;
  }

  /** The columns (rows in pc order); with `keep`, only those pcs, and `omitted` says why the others are missing. */
  done(keep?: Uint8Array, omitted?: string): CompactStates {
    const out: CompactStates = { entries: this.entries, pc: [], visits: [], flags: [], frame: [], fullAt: [], fullLen: [], full: [], deltaLen: [], delta: [] };
    if (omitted !== undefined) out.omitted = omitted;
    // per name, the entry it has before the current row (-1: none), reset after each row
    const slot = new Int32Array(this.names.size).fill(-1);
    let prev: Row | undefined;
    let prevPc = -2;
    let chain = 0;
    let row = 0;
    for (let pc = 0; pc < this.rows.length; pc++) {
      const r = this.rows[pc];
      if (r === undefined || (keep && !keep[pc])) continue;
      const { src, b0, b1 } = r;
      const asrc = r.asrc ?? src;
      const a0 = r.asrc ? r.a0 : b0;
      const a1 = r.asrc ? r.a1 : b1;
      out.pc.push(pc);
      out.visits.push(r.visits);
      out.flags.push(r.flags);
      out.frame.push(r.frame);
      if (prev && prevPc === pc - 1 && chain < CHAIN && sameRange(prev.asrc ?? prev.src, prev.asrc ? prev.a0 : prev.b0, prev.asrc ? prev.a1 : prev.b1, src, b0, b1)) chain++;
      else {
        chain = 0;
        out.fullAt.push(row);
        out.fullLen.push(b1 - b0);
        for (let i = b0; i < b1; i++) out.full.push(src[i]!);
      }
      // after - before: entries set (new names or new values), then names removed
      for (let i = b0; i < b1; i++) slot[this.nameIds[src[i]!]!] = src[i]!;
      const start = out.delta.length;
      for (let i = a0; i < a1; i++) {
        const id = asrc[i]!;
        const n = this.nameIds[id]!;
        if (slot[n] !== id) out.delta.push(id);
        slot[n] = -2; // present after
      }
      for (let i = b0; i < b1; i++) {
        const n = this.nameIds[src[i]!]!;
        if (slot[n] !== -2) out.delta.push(-src[i]! - 1);
      }
      for (let i = b0; i < b1; i++) slot[this.nameIds[src[i]!]!] = -1;
      for (let i = a0; i < a1; i++) slot[this.nameIds[asrc[i]!]!] = -1;
      out.deltaLen.push(out.delta.length - start);
      prev = r;
      prevPc = pc;
      row++;
    }
    return out;
  }
}

function sameRange(a: ArrayLike<number>, a0: number, a1: number, b: ArrayLike<number>, b0: number, b1: number): boolean {
  if (a1 - a0 !== b1 - b0) return false;
  for (let i = 0; i < a1 - a0; i++) if (a[a0 + i] !== b[b0 + i]) return false;
  return true;
}

/** A register's fields as last formatted (the scalar part is immutable: compared by identity). */
interface RegMemo {
  type: number; off: number; v: unknown; id: number; refObjId: number; range: number; map: number; memSize: number; frameno: number;
  /** An iterator slot's state and depth print too (`iter_num(ref_id=1,state=active,depth=0)`). */
  iterState: number | undefined; iterDepth: number | undefined; entry: number;
  /** A precise scalar prints with a "P". */
  precise: boolean;
}

function sameReg(m: RegMemo | undefined, r: Reg): boolean {
  return m !== undefined && m.v === r.v && m.type === r.type && m.off === r.off && m.id === r.id && m.refObjId === r.refObjId &&
    m.range === r.range && m.map === r.map && m.memSize === r.memSize && m.frameno === r.frameno &&
    m.iterState === r.slot?.iterState && m.iterDepth === r.slot?.iterDepth && m.precise === r.precise;
}

function regMemo(r: Reg, entry: number): RegMemo {
  return {
    type: r.type, off: r.off, v: r.v, id: r.id, refObjId: r.refObjId, range: r.range, map: r.map, memSize: r.memSize, frameno: r.frameno,
    iterState: r.slot?.iterState, iterDepth: r.slot?.iterDepth, entry, precise: r.precise,
  };
}

const SLOTS = 64;
const REG_NAMES = Array.from({ length: 11 }, (_, i) => `R${i}`);
const SLOT_NAMES = Array.from({ length: SLOTS }, (_, k) => `fp-${(SLOTS - k) * 8}`);
const NO_REFS: VState['refs'] = [];
const NONE: number[] = [];
/** slotEntry for a slot the log does not print. */
const NOTHING = -2;

/**
 * Turns verifier states into sorted entry indices (the log's order: R0..R10, stack slots from
 * fp-8 down, refs), formatting only registers and slots that changed since the last state of
 * the same call depth: straight-line code changes one register per instruction.
 */
class StateEncoder {
  private readonly regs: (RegMemo | undefined)[][] = [];
  private readonly slotWords: Uint32Array[] = [];
  private readonly slotSpill: (RegMemo | undefined)[][] = [];
  private readonly slotEntry: Int32Array[] = [];
  private refsText = '';
  private refsEntry = -1;
  /** Entry indices, appended; a state is a [start, start+len) range of it. */
  pool = new Int32Array(1 << 16);
  used = 0;

  constructor(private readonly log: Log, private readonly table: StateTable) {}

  private push(id: number): void {
    if (this.used === this.pool.length) {
      const bigger = new Int32Array(this.pool.length * 2);
      bigger.set(this.pool);
      this.pool = bigger;
    }
    this.pool[this.used++] = id;
  }

  private depth(fi: number): void {
    while (this.regs.length <= fi) {
      this.regs.push(new Array(11));
      this.slotWords.push(new Uint32Array(SLOTS * 2));
      this.slotSpill.push(new Array(SLOTS));
      this.slotEntry.push(new Int32Array(SLOTS).fill(-1));
    }
  }

  /** Encodes `st`; returns where its indices start in `pool` (they end at `used`). */
  encode(st: VState): number {
    const start = this.used;
    const fi = st.frames.length - 1;
    const f = st.frames[fi]!;
    this.depth(fi);
    const memo = this.regs[fi]!;
    for (let i = 0; i <= 10; i++) {
      const r = f.regs[i]!;
      if (r.type === T.NOT_INIT) continue;
      let m = memo[i];
      if (!sameReg(m, r)) memo[i] = m = regMemo(r, this.table.intern(`R${i}=${this.log.reg(r, fi)}`, REG_NAMES[i]));
      this.push(m!.entry);
    }
    const words = this.slotWords[fi]!;
    const spills = this.slotSpill[fi]!;
    const entries = this.slotEntry[fi]!;
    // the slot bytes 4 at a time (a frame's stack is its own 512-byte buffer)
    const s = f.slots.byteOffset % 4 === 0 ? new Uint32Array(f.slots.buffer, f.slots.byteOffset, SLOTS * 2) : new Uint32Array(f.slots.slice().buffer);
    for (let i = 0; i < SLOTS; i++) {
      const k = SLOTS - 1 - i; // the log prints fp-8 (slot 63) first
      const w0 = s[2 * k]!;
      const w1 = s[2 * k + 1]!;
      let changed = false;
      if (w0 !== words[2 * k] || w1 !== words[2 * k + 1]) { changed = true; words[2 * k] = w0; words[2 * k + 1] = w1; }
      if ((w0 | w1) === 0) continue;
      const spill = f.spills[k];
      if (spill !== undefined && !sameReg(spills[k], spill)) { changed = true; spills[k] = regMemo(spill, -1); }
      if (spill === undefined && spills[k] !== undefined) { changed = true; spills[k] = undefined; }
      if (changed || entries[k] === -1) {
        // a slot the log prints nothing for (a dynptr's second slot: printed once, at its first)
        const text = this.log.frameState(f, fi, 0, [k], NO_REFS).trimStart();
        entries[k] = text === '' ? NOTHING : this.table.intern(text, SLOT_NAMES[k]);
      }
      if (entries[k] !== NOTHING) this.push(entries[k]!);
    }
    if (st.refs.length) {
      const text = `refs=${st.refs.map((r) => r.id).join(',')}`;
      if (text !== this.refsText) { this.refsText = text; this.refsEntry = this.table.intern(text, 'refs'); }
      this.push(this.refsEntry);
    }
    return start;
  }
}

/** Records the first visit of every pc through the verifier's onInsn hook. */
export class StateRecorder {
  readonly visits: Uint32Array;
  private readonly table = new StateTable();
  private readonly enc: StateEncoder;
  /** Per pc, the first visit's state before / after as a range of the encoder's pool (-1: none). */
  private readonly bStart: Int32Array;
  private readonly bEnd: Int32Array;
  private readonly aStart: Int32Array;
  private readonly aEnd: Int32Array;
  private readonly frame: Uint8Array;
  private pendingPc = -1;
  private pendingState: VState | null = null;

  constructor(program: Program, opts: VerifyOptions = {}) {
    const n = program.insns.length;
    this.visits = new Uint32Array(n);
    this.bStart = new Int32Array(n).fill(-1);
    this.bEnd = new Int32Array(n);
    this.aStart = new Int32Array(n).fill(-1);
    this.aEnd = new Int32Array(n);
    this.frame = new Uint8Array(n);
    this.enc = new StateEncoder(new Log(program, getDomain(opts.domain ?? 'kernel'), opts.disasm), this.table);
  }

  readonly onInsn = (pc: number, st: VState): void => {
    let start = -1;
    let end = -1;
    // the state the previous first visit led to, when the same path goes on from it
    if (this.pendingPc >= 0 && st === this.pendingState) {
      start = this.enc.encode(st);
      end = this.enc.used;
      this.aStart[this.pendingPc] = start;
      this.aEnd[this.pendingPc] = end;
    }
    this.pendingPc = -1;
    this.pendingState = null;
    if (pc < 0 || pc >= this.visits.length) return;
    const seen = this.visits[pc]!;
    this.visits[pc] = seen + 1;
    if (seen === 0) {
      if (start < 0) { start = this.enc.encode(st); end = this.enc.used; }
      this.bStart[pc] = start;
      this.bEnd[pc] = end;
      this.frame[pc] = st.frames.length - 1;
      this.pendingPc = pc;
      this.pendingState = st;
    }
  };

  /**
   * The compact states. The failing path's states come from `result.pathStates` when given;
   * else, where the path passes each pc once, the first visits are the path's own.
   */
  compact(result: VerifyResult, maxRows = MAX_STATE_ROWS): CompactStates {
    const t = this.table;
    const pool = this.enc.pool;
    const path = result.path;
    for (let pc = 0; pc < this.visits.length; pc++) {
      if (this.bStart[pc]! < 0) continue;
      const a = this.aStart[pc]! >= 0;
      t.setIds(pc, this.visits[pc]!, EXACT, this.frame[pc]!, pool, this.bStart[pc]!, this.bEnd[pc]!, a ? pool : NONE, a ? this.aStart[pc]! : 0, a ? this.aEnd[pc]! : 0);
    }
    if (!t.addPath(result, (pc) => this.visits[pc] ?? 1) && path && path.every((pc) => this.visits[pc] === 1)) {
      for (let i = 0; i < path.length; i++) {
        const pc = path[i]!;
        if (this.bStart[pc]! < 0) continue;
        const next = path[i + 1];
        if (next === undefined) {
          t.setIds(pc, 1, PATH_VISIT | EXACT, this.frame[pc]!, pool, this.bStart[pc]!, this.bEnd[pc]!, null);
          continue;
        }
        // the state after an instruction on the path is the state before the path's next one
        const [a0, a1] = this.bStart[next]! >= 0 ? [this.bStart[next]!, this.bEnd[next]!] : this.aStart[pc]! >= 0 ? [this.aStart[pc]!, this.aEnd[pc]!] : [0, 0];
        t.setIds(pc, 1, PATH_VISIT | EXACT, this.frame[pc]!, pool, this.bStart[pc]!, this.bEnd[pc]!, pool, a0, a1);
      }
    }
    const recorded = this.bStart.reduce((k, x) => k + (x >= 0 ? 1 : 0), 0);
    if (recorded <= maxRows) return t.done();
    // a huge program: the failing path's end and the instructions around the failing one keep theirs
    const keep = new Uint8Array(this.visits.length);
    let kept = 0;
    const take = (pc: number): void => { if (kept < maxRows && pc >= 0 && pc < keep.length && !keep[pc] && this.bStart[pc]! >= 0) { keep[pc] = 1; kept++; } };
    const fail = result.error?.pc ?? (path?.at(-1) ?? 0);
    for (let i = (path?.length ?? 0) - 1; i >= 0 && kept < maxRows / 2; i--) take(path![i]!);
    for (let d = 0; kept < maxRows && (fail - d >= 0 || fail + d < keep.length); d++) { take(fail - d); take(fail + d); }
    return t.done(keep, `to keep the page small, states are embedded for ${kept} of the ${recorded} instructions the verifier processed: ` +
      `the failing path's last ones and those around the failing instruction (limit ${maxRows})`);
  }

  /**
   * The failing path's states in the log's format (`VerifyResult.pathStates`) when the path passes
   * each pc once: its visits are then the first ones, which were recorded. null otherwise.
   */
  pathStates(result: VerifyResult): { pc: number; regs: string }[] | null {
    const path = result.path;
    if (!path?.length || this.needsPathStates(result)) return null;
    const pool = this.enc.pool;
    const out: { pc: number; regs: string }[] = [];
    for (const pc of path) {
      if (this.bStart[pc]! < 0) return null;
      let regs = this.frame[pc] ? `frame${this.frame[pc]}:` : '';
      for (let i = this.bStart[pc]!; i < this.bEnd[pc]!; i++) regs += (regs ? ' ' : '') + this.table.entries[pool[i]!]!;
      out.push({ pc, regs });
    }
    return out;
  }

  /** Whether the failing path's states need a second run (`pathStates`): it passes some pc more than once. */
  needsPathStates(result: VerifyResult): boolean {
    return result.path !== undefined && result.path.some((pc) => (this.visits[pc] ?? 0) > 1);
  }
}

/**
 * Verifies with a recorder: one run for the verdict and the states; a rejected program whose
 * failing path passes a pc more than once runs once more with path states when `pathStates`
 * allows (they format a state per processed instruction).
 */
export function verifyWithStates(program: Program, opts: VerifyOptions = {}, maxPathInsns = 200_000, maxStateRows = MAX_STATE_ROWS): {
  result: VerifyResult; states: CompactStates;
  /** The result with the failing path's states (for explain) when the recorded first visits are them. */
  withPathStates?: VerifyResult;
} {
  const rec = new StateRecorder(program, opts);
  let result = verify(program, { ...opts, log: false, pathStates: false, onInsn: rec.onInsn });
  if (result.verdict === 'reject' && result.processed > 0 && result.processed <= maxPathInsns && rec.needsPathStates(result)) {
    const again = verify(program, { ...opts, log: false, pathStates: true });
    result = { ...again, ms: result.ms };
  }
  const states = rec.compact(result, maxStateRows);
  const ps = result.verdict === 'reject' && !result.pathStates && (result.path?.length ?? 0) <= REPORT_EXPLAIN_PATH ? rec.pathStates(result) : null;
  return { result, states, ...(ps && { withPathStates: { ...result, pathStates: ps } }) };
}

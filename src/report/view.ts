/**
 * The per-program view model of a report: everything the page shows, as compact JSON-ready data.
 * Built once in Node (disassembly, source lines, the laid-out CFG and the failing path's
 * neighbourhood, states per pc as indices into an entry table); the page's script renders the
 * visible part of it (graph text, listing rows, states) on demand.
 */
import { disasmInsn } from '../isa/disasm.js';
import type { Insn } from '../isa/insn.js';
import * as op from '../isa/opcodes.js';
import type { LineInfo, Program } from '../isa/program.js';
import type { VerifyOptions, VerifyResult } from '../verifier/index.js';
import { fallbackGraph, graphFromCfg, type ReportGraph } from './graph.js';
import { layoutCfg } from './layout.js';
import { sortedEntries, statesFromLog } from './log-states.js';
import type { ExplainReport, KernelVerdictInput, ProgramReportInput } from './model.js';
import { EXACT, PATH_VISIT, StateTable, verifyWithStates, type CompactStates } from './states.js';

export interface SourceLine { file: string; line: number; col: number; text: string }

/** A node's lines: pcs, or -n for a gap of n hidden instructions. */
export interface ViewNode {
  id: string;
  start: number;
  end: number;
  subprog: number;
  x: number; y: number; width: number; height: number;
  rows: number[];
  onPath: boolean;
  failing: boolean;
  /** A subprogram drawn as one node (the failing path does not enter it). */
  collapsed?: { blocks: number; insns: number };
}

export interface ViewEdge { from: string; to: string; kind: string; points: [number, number][]; onPath: boolean; back: boolean }

export interface ViewGraph {
  width: number;
  height: number;
  nodes: ViewNode[];
  edges: ViewEdge[];
  /** Built by the report (no verifier CFG: structural rejection). */
  partial: boolean;
  /** 'full': every block; 'focus': the failing path's blocks, their direct neighbours, other subprograms as call nodes. */
  kind: 'full' | 'focus';
}

export interface ProgramView {
  index: number;
  name: string;
  section: string;
  type: string;
  file: string;
  insns: number;
  verdict: 'accept' | 'reject';
  error: { pc: number; message: string; kind: string; source?: SourceLine; text?: string } | null;
  processed: number;
  states: number;
  ms: number;
  /** Disassembly per pc ('' for the second slot of an ld_imm64). */
  text: string[];
  /** [pc, target] of jumps and calls. */
  targets: [number, number][];
  /** Where a new source line starts: [pc, file index, line, col, text]. */
  sources: [number, number, number, number, string][];
  files: string[];
  /** The whole CFG. */
  graph: ViewGraph | null;
  /** The failing path's neighbourhood (large rejected programs): the initial view. */
  focus: ViewGraph | null;
  /** Why there is no graph. */
  graphNote?: string;
  /** Verifier states per pc, compact (decoded per block by the page). */
  pcStates: CompactStates | null;
  statesNote?: string;
  path: number[] | null;
  /** Where the path came from. */
  pathSource?: 'verifier' | 'log' | 'explain';
  explain: ExplainReport | null;
  kernel: KernelVerdictInput | null;
  maps: { name: string; type: string; keySize: number; valueSize: number; maxEntries: number }[];
}

export interface ViewOptions {
  /** Re-run the verifier for states when the input carries none (default true). */
  rerunForLog?: boolean;
  /** Above this many processed insns no path states are recorded (default 200,000). */
  maxLogInsns?: number;
  /** Above this many blocks the CFG is not drawn (default 5,000). */
  maxBlocks?: number;
  /** Options for that re-run (domain, strategy...), as the caller verified with. */
  verifyOptions?: VerifyOptions;
}

/** The decoded state of one pc (for tests and tools; the page decodes the same data). */
export interface ViewState {
  n: number;
  path: boolean;
  exact: boolean;
  frame: number;
  before: [string, string][];
  after: [string, string][];
  changed: string[];
}

const NODE_MAX_LINES = 14;
const NODE_CHARS = 46;
const CHAR_W = 7.3;
const LINE_H = 16;
/** Full graphs above this many blocks open on the failing path's neighbourhood. */
const FOCUS_MIN_BLOCKS = 40;

function clip(s: string, n: number): number {
  return Math.min(s.length, n);
}

function jumpTarget(ins: Insn, pc: number): number | undefined {
  const c = op.cls(ins.code);
  if (c !== op.BPF_JMP && c !== op.BPF_JMP32) return undefined;
  const o = op.jmpOp(ins.code);
  if (o === op.BPF_EXIT) return undefined;
  if (o === op.BPF_CALL) return ins.src === op.BPF_PSEUDO_CALL ? pc + 1 + ins.imm : undefined;
  if (o === op.BPF_JA && c === op.BPF_JMP32) return pc + 1 + ins.imm;
  return pc + 1 + ins.off;
}

function safeDisasm(p: Program, pc: number): string {
  try {
    return disasmInsn(p.insns, pc, { maps: p.maps });
  } catch (e) {
    return `<undecodable: ${e instanceof Error ? e.message : String(e)}>`;
  }
}

/** The source line in effect at `pc`: the line-info record with the greatest pc <= pc. */
export function sourceAt(lineInfo: readonly LineInfo[] | undefined, pc: number): SourceLine | undefined {
  if (!lineInfo) return undefined;
  let best: LineInfo | undefined;
  for (const li of lineInfo) if (li.pc <= pc && (!best || li.pc >= best.pc)) best = li;
  return best ? { file: best.file, line: best.line, col: best.col, text: best.text } : undefined;
}

function buildListing(p: Program): Pick<ProgramView, 'text' | 'targets' | 'sources' | 'files'> {
  const text: string[] = [];
  const targets: [number, number][] = [];
  for (let pc = 0; pc < p.insns.length; pc++) {
    const ins = p.insns[pc]!;
    text.push(safeDisasm(p, pc));
    const t = jumpTarget(ins, pc);
    if (t !== undefined) targets.push([pc, t]);
    if (ins.code === op.BPF_LD_IMM64 && pc + 1 < p.insns.length) { text.push(''); pc++; }
  }
  const files: string[] = [];
  const sources: ProgramView['sources'] = [];
  let lastKey = '';
  for (const li of [...(p.lineInfo ?? [])].sort((a, b) => a.pc - b.pc)) {
    const key = `${li.file}:${li.line}`;
    if (key === lastKey) continue;
    lastKey = key;
    let fi = files.indexOf(li.file);
    if (fi < 0) { fi = files.length; files.push(li.file); }
    sources.push([li.pc, fi, li.line, li.col, li.text]);
  }
  return { text, targets, sources, files };
}

/** Which pcs of a block a node shows: all when short, else head and tail around a gap (keeping `must`). */
function nodeRows(text: readonly string[], start: number, end: number, must: number | null): number[] {
  const pcs: number[] = [];
  for (let pc = start; pc <= end; pc++) if (text[pc] !== '') pcs.push(pc);
  if (pcs.length <= NODE_MAX_LINES) return pcs;
  const keep = new Set<number>([...pcs.slice(0, 5), ...pcs.slice(-5)]);
  if (must !== null && must >= start && must <= end) keep.add(must);
  const out: number[] = [];
  let gap = 0;
  for (const pc of pcs) {
    if (keep.has(pc)) {
      if (gap) out.push(-gap);
      gap = 0;
      out.push(pc);
    } else gap++;
  }
  if (gap) out.push(-gap);
  return out;
}

interface Shape { id: string; start: number; end: number; subprog: number; rows: number[]; collapsed?: { blocks: number; insns: number } }

function sized(text: readonly string[], s: Shape): { width: number; height: number } {
  let chars = 12;
  for (const pc of s.rows) chars = Math.max(chars, pc < 0 ? 22 : clip(`${pc}: ${text[pc]}`, NODE_CHARS));
  const lines = s.collapsed ? 2 : s.rows.length;
  return { width: Math.ceil(chars * CHAR_W + 20), height: lines * LINE_H + 14 };
}

/** Lays out `shapes` with `edges` and marks the failing path. */
function place(text: readonly string[], shapes: Shape[], edges: { from: string; to: string; kind: string }[], onPathBlock: Set<string>, onPathEdge: Set<string>, failBlock: string | null, partial: boolean, kind: ViewGraph['kind']): ViewGraph {
  const sizes = shapes.map((s) => ({ id: s.id, order: s.start, ...sized(text, s) }));
  const keyed = edges.map((e, i) => ({ ...e, key: `e${i}` }));
  const lay = layoutCfg(sizes, keyed);
  const startOf = new Map(shapes.map((b) => [b.id, b.start]));
  return {
    width: lay.width,
    height: lay.height,
    partial,
    kind,
    nodes: shapes.map((b) => {
      const n = lay.nodes.get(b.id)!;
      const node: ViewNode = {
        id: b.id, start: b.start, end: b.end, subprog: b.subprog,
        x: n.x, y: n.y, width: n.width, height: n.height,
        rows: b.rows, onPath: onPathBlock.has(b.id), failing: b.id === failBlock,
      };
      if (b.collapsed) node.collapsed = b.collapsed;
      return node;
    }),
    edges: keyed.map((e) => ({
      from: e.from, to: e.to, kind: e.kind,
      points: lay.edges.get(e.key)?.points ?? [],
      onPath: onPathEdge.has(`${e.from}>${e.to}`),
      back: e.kind !== 'call' && (startOf.get(e.to) ?? 0) <= (startOf.get(e.from) ?? 0),
    })),
  };
}

function buildGraphs(text: readonly string[], g: ReportGraph, path: number[] | null, failPc: number | null): { graph: ViewGraph; focus: ViewGraph | null } {
  const onPathBlock = new Set<string>();
  const onPathEdge = new Set<string>();
  if (path) {
    let prevBlock: string | null = null;
    for (const pc of path) {
      const bi = g.blockOf[pc];
      const b = bi !== undefined && bi >= 0 ? g.blocks[bi] : undefined;
      if (!b) continue;
      onPathBlock.add(b.id);
      if (prevBlock !== null && (prevBlock !== b.id || pc === b.start)) onPathEdge.add(`${prevBlock}>${b.id}`);
      prevBlock = b.id;
    }
  }
  const failBlock = failPc !== null && g.blockOf[failPc] !== undefined && g.blockOf[failPc]! >= 0 ? g.blocks[g.blockOf[failPc]!]!.id : null;
  const shapes = g.blocks.map((b) => ({ id: b.id, start: b.start, end: b.end, subprog: b.subprog, rows: nodeRows(text, b.start, b.end, failPc) }));
  const graph = place(text, shapes, g.edges, onPathBlock, onPathEdge, failBlock, g.partial, 'full');
  if (!path || !onPathBlock.size || g.blocks.length < FOCUS_MIN_BLOCKS) return { graph, focus: null };

  // the neighbourhood: path blocks and their direct neighbours; subprograms the path never enters become one node each
  const byId = new Map(shapes.map((s) => [s.id, s]));
  const pathSubprogs = new Set([...onPathBlock].map((id) => byId.get(id)!.subprog));
  const keep = new Set<string>(onPathBlock);
  for (const e of g.edges) {
    if (onPathBlock.has(e.from)) keep.add(e.to);
    if (onPathBlock.has(e.to)) keep.add(e.from);
  }
  const subNode = new Map<number, Shape>();
  const target = (id: string): string | null => {
    const s = byId.get(id)!;
    if (pathSubprogs.has(s.subprog)) return keep.has(id) ? id : null;
    let c = subNode.get(s.subprog);
    if (!c) {
      const blocks = g.blocks.filter((b) => b.subprog === s.subprog);
      const start = Math.min(...blocks.map((b) => b.start));
      const end = Math.max(...blocks.map((b) => b.end));
      c = { id: `sub${s.subprog}`, start, end, subprog: s.subprog, rows: [start], collapsed: { blocks: blocks.length, insns: end - start + 1 } };
      subNode.set(s.subprog, c);
    }
    return c.id;
  };
  const fshapes: Shape[] = [];
  for (const s of shapes) if (keep.has(s.id) && pathSubprogs.has(s.subprog)) fshapes.push(s);
  const fedges: { from: string; to: string; kind: string }[] = [];
  const seen = new Set<string>();
  for (const e of g.edges) {
    if (!keep.has(e.from) && !keep.has(e.to)) continue;
    const a = target(e.from);
    const b = target(e.to);
    if (a === null || b === null || a === b) continue;
    const k = `${a}>${b}`;
    if (seen.has(k)) continue;
    seen.add(k);
    fedges.push({ from: a, to: b, kind: e.kind });
  }
  fshapes.push(...subNode.values());
  if (fshapes.length >= shapes.length) return { graph, focus: null };
  return { graph, focus: place(text, fshapes, fedges, onPathBlock, onPathEdge, failBlock, g.partial, 'focus') };
}

/** States from a kernel-format log (results verified elsewhere with `log: true`). */
function statesOfLog(r: VerifyResult, failPc: number | null, path: number[] | null): CompactStates | null {
  if (r.log === undefined) return null;
  const ls = statesFromLog(r.log, failPc);
  const t = new StateTable();
  const exact = ls.exact ? EXACT : 0;
  for (const [pc, v] of ls.lastVisit) t.set(pc, ls.visits.get(pc) ?? 1, exact, v.frame, v.before, v.after);
  const samePath = ls.path && path && ls.path.length === path.length && ls.path.every((x, i) => x === path[i]);
  if (samePath) for (const v of ls.pathVisits) t.set(v.pc, ls.visits.get(v.pc) ?? 1, PATH_VISIT | exact, v.frame, v.before, v.after);
  t.addPath(r, (pc) => ls.visits.get(pc) ?? 1);
  return t.done();
}

/** The decoded state of `pc` in a view (null when the verifier never processed it); the page's decoder does the same. */
export function stateAt(v: Pick<ProgramView, 'pcStates'>, pc: number): ViewState | null {
  const t = v.pcStates;
  if (!t) return null;
  const row = lowerBound(t.pc, pc);
  if (row >= t.pc.length || t.pc[row] !== pc) return null;
  const entry = (i: number): [string, string] => {
    const e = t.entries[i]!;
    const eq = e.indexOf('=');
    return [e.slice(0, eq), e.slice(eq + 1)];
  };
  const off = offsetsOf(t);
  // the nearest row at or before `row` with a whole state, then the changes of the rows between
  const f = lowerBound(t.fullAt, row + 1) - 1;
  const m = new Map<string, string>();
  for (let i = off.full[f]!; i < off.full[f]! + t.fullLen[f]!; i++) { const [k, val] = entry(t.full[i]!); m.set(k, val); }
  const apply = (r: number): void => {
    for (let i = off.delta[r]!; i < off.delta[r]! + t.deltaLen[r]!; i++) {
      const d = t.delta[i]!;
      if (d >= 0) { const [k, val] = entry(d); m.set(k, val); } else m.delete(entry(-d - 1)[0]);
    }
  };
  for (let r = t.fullAt[f]!; r < row; r++) apply(r);
  const before = sortedEntries(m);
  apply(row);
  const b = new Map(before);
  const changed = [...new Set([...m.keys(), ...b.keys()])].filter((k) => m.get(k) !== b.get(k));
  const flags = t.flags[row]!;
  return { n: t.visits[row]!, path: (flags & PATH_VISIT) !== 0, exact: (flags & EXACT) !== 0, frame: t.frame[row]!, before, after: sortedEntries(m), changed };
}

function lowerBound(xs: readonly number[], x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const offsetCache = new WeakMap<CompactStates, { full: Int32Array; delta: Int32Array }>();

/** Where each `fullAt` row's and each row's indices start in `full` and `delta`. */
function offsetsOf(t: CompactStates): { full: Int32Array; delta: Int32Array } {
  let o = offsetCache.get(t);
  if (!o) {
    o = { full: new Int32Array(t.fullLen.length), delta: new Int32Array(t.deltaLen.length) };
    for (let i = 1; i < t.fullLen.length; i++) o.full[i] = o.full[i - 1]! + t.fullLen[i - 1]!;
    for (let i = 1; i < t.deltaLen.length; i++) o.delta[i] = o.delta[i - 1]! + t.deltaLen[i - 1]!;
    offsetCache.set(t, o);
  }
  return o;
}

/** The path the verifier reported (when its result carries one). */
function verifierPath(r: VerifyResult): number[] | null {
  const p = r.path;
  return Array.isArray(p) && p.every((x) => typeof x === 'number') ? p : null;
}

export function buildProgramView(input: ProgramReportInput, index: number, opts: ViewOptions = {}): ProgramView {
  const p = input.program;
  let r = input.result;
  const maxLogInsns = opts.maxLogInsns ?? 200_000;
  let statesNote: string | undefined;
  let states: CompactStates | null = input.states ?? null;
  if (!states && r.log === undefined && (opts.rerunForLog ?? true)) {
    const again = verifyWithStates(p, opts.verifyOptions ?? {}, maxLogInsns);
    r = { ...again.result, ms: r.ms };
    states = again.states;
  }
  const failPc = r.error ? r.error.pc : null;

  let path = verifierPath(r);
  let pathSource: ProgramView['pathSource'] = path ? 'verifier' : undefined;
  if (!states && r.log !== undefined) {
    const ls = statesFromLog(r.log, failPc);
    if (!path && ls.path) { path = ls.path; pathSource = 'log'; }
    states = statesOfLog(r, failPc, path);
  }
  if (!path && input.explain?.path?.length) { path = input.explain.path; pathSource = 'explain'; }
  if (!states) statesNote = r.processed > maxLogInsns ? `no per-instruction states: the verifier processed ${r.processed} instructions (limit for reports: ${maxLogInsns})` : 'no verifier states were recorded for this program';

  const listing = buildListing(p);
  const maxBlocks = opts.maxBlocks ?? 5000;
  let graph: ViewGraph | null = null;
  let focus: ViewGraph | null = null;
  let graphNote: string | undefined;
  const g = r.cfg ? graphFromCfg(r.cfg) : p.insns.length ? fallbackGraph(p.insns) : null;
  if (!g) graphNote = 'the program has no instructions';
  else if (g.blocks.length > maxBlocks) graphNote = `the CFG has ${g.blocks.length} basic blocks; graphs above ${maxBlocks} are not drawn`;
  else ({ graph, focus } = buildGraphs(listing.text, g, path, failPc));

  let error: ProgramView['error'] = null;
  if (r.error) {
    error = { pc: r.error.pc, message: r.error.message, kind: r.error.kind };
    const src = sourceAt(p.lineInfo, r.error.pc);
    if (src) error.source = src;
    if (r.error.pc >= 0 && r.error.pc < p.insns.length) error.text = safeDisasm(p, r.error.pc);
  }

  const view: ProgramView = {
    index,
    name: p.name,
    section: p.section,
    type: p.type,
    file: p.file ?? '',
    insns: p.insns.length,
    verdict: r.verdict,
    error,
    processed: r.processed,
    states: r.states,
    ms: Math.round(r.ms * 1000) / 1000,
    ...listing,
    graph,
    focus,
    pcStates: states,
    path,
    explain: input.explain ?? null,
    kernel: input.kernel ?? null,
    maps: p.maps.map((m) => ({ name: m.name, type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries })),
  };
  if (graphNote !== undefined) view.graphNote = graphNote;
  if (statesNote !== undefined) view.statesNote = statesNote;
  if (pathSource !== undefined) view.pathSource = pathSource;
  return view;
}

/**
 * The per-program view model of a report: everything the HTML shows, as plain JSON-ready data.
 * Built once in Node (disassembly, source lines, the laid-out CFG, states per pc, the failing
 * path); the page renders it and its script only draws and reacts to clicks.
 */
import { disasmInsn } from '../isa/disasm.js';
import type { Insn } from '../isa/insn.js';
import * as op from '../isa/opcodes.js';
import type { LineInfo, Program } from '../isa/program.js';
import { verify, type VerifyOptions, type VerifyResult } from '../verifier/index.js';
import { fallbackGraph, graphFromCfg, type ReportGraph } from './graph.js';
import { layoutGraph } from './layout.js';
import { sortedEntries, splitState, statesFromLog, type StateEntries, type VisitState } from './log-states.js';
import type { ExplainReport, KernelVerdictInput, ProgramReportInput } from './model.js';

export interface SourceLine { file: string; line: number; col: number; text: string }

export interface ListingRow {
  pc: number;
  /** The opcode byte as two hex digits (the kernel log's "(bf)"). */
  code: string;
  text: string;
  /** Jump/call target pc, for a link. */
  target?: number;
  /** Source line that starts at this pc (BTF line info). */
  source?: SourceLine;
  /** Second slot of an ld_imm64: not an instruction of its own. */
  second?: boolean;
}

/** One line drawn inside a CFG node: an instruction, or a gap of hidden ones. */
export type NodeLine = { pc: number; text: string } | { gap: number };

export interface ViewNode {
  id: string;
  start: number;
  end: number;
  subprog: number;
  x: number; y: number; width: number; height: number;
  lines: NodeLine[];
  onPath: boolean;
  failing: boolean;
}

export interface ViewEdge { from: string; to: string; kind: string; points: [number, number][]; onPath: boolean; back: boolean }

export interface ViewGraph {
  width: number;
  height: number;
  nodes: ViewNode[];
  edges: ViewEdge[];
  /** Built by the report (no verifier CFG: structural rejection). */
  partial: boolean;
  /** Nodes show only a summary (large program). */
  compact: boolean;
}

/** State of one pc as the page shows it. */
export interface ViewState {
  /** How many times the verifier processed this pc. */
  n: number;
  /** Which visit is shown: the failing path's, or the last processed one. */
  from: 'path' | 'last';
  frame: number;
  before: StateEntries;
  after: StateEntries;
  changed: string[];
  /** A full snapshot (verifier path states or a level-2 log), not replayed from level-1 deltas. */
  exact: boolean;
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
  listing: ListingRow[];
  graph: ViewGraph | null;
  /** Why there is no graph. */
  graphNote?: string;
  /** State per pc (string keys for JSON). */
  pcStates: Record<string, ViewState>;
  statesNote?: string;
  path: number[] | null;
  /** Where the path came from. */
  pathSource?: 'verifier' | 'log' | 'explain';
  explain: ExplainReport | null;
  kernel: KernelVerdictInput | null;
  maps: { name: string; type: string; keySize: number; valueSize: number; maxEntries: number }[];
}

export interface ViewOptions {
  /** Re-run the verifier with a log when a result carries none (default true). */
  rerunForLog?: boolean;
  /** Above this many processed insns no log is requested (default 200,000). */
  maxLogInsns?: number;
  /** Above this many blocks the CFG is not drawn (default 2,500). */
  maxBlocks?: number;
  /** Options for that re-run (domain, strategy...), as the caller verified with. */
  verifyOptions?: VerifyOptions;
}

const NODE_MAX_LINES = 14;
const NODE_CHARS = 46;
const CHAR_W = 7.1;
const LINE_H = 16;

function clip(s: string, n: number): string {
  return s.length <= n ? s : s.slice(0, n - 1) + '…';
}

function isLdImm64(ins: Insn): boolean {
  return ins.code === op.BPF_LD_IMM64;
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

function buildListing(p: Program): ListingRow[] {
  const starts = new Map<number, LineInfo>();
  for (const li of p.lineInfo ?? []) starts.set(li.pc, li);
  const rows: ListingRow[] = [];
  let lastKey = '';
  for (let pc = 0; pc < p.insns.length; pc++) {
    const ins = p.insns[pc]!;
    const row: ListingRow = { pc, code: ins.code.toString(16).padStart(2, '0'), text: safeDisasm(p, pc) };
    const t = jumpTarget(ins, pc);
    if (t !== undefined) row.target = t;
    const li = starts.get(pc);
    if (li) {
      const key = `${li.file}:${li.line}`;
      if (key !== lastKey) row.source = { file: li.file, line: li.line, col: li.col, text: li.text };
      lastKey = key;
    }
    rows.push(row);
    if (isLdImm64(ins) && pc + 1 < p.insns.length) {
      rows.push({ pc: pc + 1, code: p.insns[pc + 1]!.code.toString(16).padStart(2, '0'), text: '', second: true });
      pc++;
    }
  }
  return rows;
}

/** Which pcs of a block a node shows: all when short, else head and tail around a gap (keeping `must`). */
function nodeLines(rows: readonly ListingRow[], start: number, end: number, must: number | null, compact: boolean): NodeLine[] {
  const pcs: number[] = [];
  for (let pc = start; pc <= end; pc++) if (rows[pc] && !rows[pc]!.second) pcs.push(pc);
  const line = (pc: number): NodeLine => ({ pc, text: clip(`${pc}: ${rows[pc]!.text}`, NODE_CHARS) });
  const limit = compact ? 3 : NODE_MAX_LINES;
  if (pcs.length <= limit) return pcs.map(line);
  const keep = new Set<number>();
  const head = compact ? 1 : 5;
  const tail = compact ? 1 : 5;
  pcs.slice(0, head).forEach((pc) => keep.add(pc));
  pcs.slice(-tail).forEach((pc) => keep.add(pc));
  if (must !== null && must >= start && must <= end) keep.add(must);
  const out: NodeLine[] = [];
  let gap = 0;
  for (const pc of pcs) {
    if (keep.has(pc)) {
      if (gap) out.push({ gap });
      gap = 0;
      out.push(line(pc));
    } else gap++;
  }
  if (gap) out.push({ gap });
  return out;
}

function buildGraph(p: Program, g: ReportGraph, rows: readonly ListingRow[], path: number[] | null, failPc: number | null): ViewGraph {
  const compact = p.insns.length > 1500 || g.blocks.length > 400;
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
  const lines = new Map<string, NodeLine[]>();
  const nodes = g.blocks.map((b) => {
    const ls = nodeLines(rows, b.start, b.end, failPc, compact);
    lines.set(b.id, ls);
    const chars = Math.max(12, ...ls.map((l) => ('pc' in l ? l.text.length : 10)));
    return { id: b.id, width: Math.ceil(chars * CHAR_W + 20), height: ls.length * LINE_H + 14 };
  });
  const keyed = g.edges.map((e, i) => ({ ...e, key: `e${i}` }));
  const lay = layoutGraph(nodes, keyed);
  const startOf = new Map(g.blocks.map((b) => [b.id, b.start]));
  return {
    width: lay.width,
    height: lay.height,
    partial: g.partial,
    compact,
    nodes: g.blocks.map((b) => {
      const n = lay.nodes.get(b.id)!;
      return {
        id: b.id, start: b.start, end: b.end, subprog: b.subprog,
        x: n.x, y: n.y, width: n.width, height: n.height,
        lines: lines.get(b.id)!, onPath: onPathBlock.has(b.id), failing: b.id === failBlock,
      };
    }),
    edges: keyed.map((e) => ({
      from: e.from, to: e.to, kind: e.kind,
      points: lay.edges.get(e.key)?.points ?? [],
      onPath: onPathEdge.has(`${e.from}>${e.to}`),
      back: e.kind !== 'call' && (startOf.get(e.to) ?? 0) <= (startOf.get(e.from) ?? 0),
    })),
  };
}

function viewState(v: VisitState, n: number, from: 'path' | 'last', exact: boolean): ViewState {
  return { n, from, frame: v.frame, before: v.before, after: v.after, changed: v.changed, exact };
}

/**
 * Full states along the path from the verifier itself (`pathStates: { pc, regs }[]`, regs in the
 * log's format, the state before each pc), when its result carries them: exact, not replayed.
 */
function verifierPathStates(r: VerifyResult, path: readonly number[]): VisitState[] | null {
  const ps = (r as { pathStates?: unknown }).pathStates;
  if (!Array.isArray(ps) || ps.length !== path.length) return null;
  const befores: StateEntries[] = [];
  for (let i = 0; i < ps.length; i++) {
    const x = ps[i] as { pc?: unknown; regs?: unknown } | null;
    if (!x || x.pc !== path[i] || typeof x.regs !== 'string') return null;
    const m = new Map<string, string>();
    for (const tok of splitState(x.regs)) {
      const eq = tok.indexOf('=');
      if (eq > 0) m.set(tok.slice(0, eq).replace(/_[wrD]+$/, ''), tok.slice(eq + 1));
    }
    befores.push(sortedEntries(m));
  }
  return befores.map((before, i) => {
    const after = i + 1 < befores.length ? befores[i + 1]! : before;
    const a = new Map(after);
    const b = new Map(before);
    const changed = [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k));
    return { pc: path[i]!, frame: 0, before, after, changed };
  });
}

/** The path the verifier reported (when its result carries one). */
function verifierPath(r: VerifyResult): number[] | null {
  const p = (r as { path?: unknown }).path;
  return Array.isArray(p) && p.every((x) => typeof x === 'number') ? (p as number[]) : null;
}

export function buildProgramView(input: ProgramReportInput, index: number, opts: ViewOptions = {}): ProgramView {
  const p = input.program;
  let r = input.result;
  const maxLogInsns = opts.maxLogInsns ?? 200_000;
  let statesNote: string | undefined;
  if (r.log === undefined && (opts.rerunForLog ?? true)) {
    if (r.processed <= maxLogInsns) r = { ...verify(p, { ...opts.verifyOptions, log: true }), ms: r.ms };
    else statesNote = `no per-instruction states: the verifier processed ${r.processed} instructions (limit for reports: ${maxLogInsns})`;
  }
  const failPc = r.error ? r.error.pc : null;
  const ls = r.log !== undefined ? statesFromLog(r.log, failPc) : null;
  if (!ls && !statesNote) statesNote = 'no verifier log was recorded for this program';

  let path = verifierPath(r);
  let pathSource: ProgramView['pathSource'] = path ? 'verifier' : undefined;
  if (!path && ls?.path) { path = ls.path; pathSource = 'log'; }
  if (!path && input.explain?.path?.length) { path = input.explain.path; pathSource = 'explain'; }

  const pcStates: Record<string, ViewState> = {};
  if (ls) {
    for (const [pc, v] of ls.lastVisit) pcStates[pc] = viewState(v, ls.visits.get(pc) ?? 1, 'last', ls.exact);
    // Along the failing path, show the path's own states (the last time the path passes each pc).
    const samePath = ls.path && path && ls.path.length === path.length && ls.path.every((x, i) => x === path![i]);
    if (samePath) ls.pathVisits.forEach((v) => { pcStates[v.pc] = viewState(v, ls.visits.get(v.pc) ?? 1, 'path', ls.exact); });
  }
  const exactPath = path && pathSource === 'verifier' ? verifierPathStates(r, path) : null;
  if (exactPath) exactPath.forEach((v) => { pcStates[v.pc] = viewState(v, ls?.visits.get(v.pc) ?? 1, 'path', true); });

  const listing = buildListing(p);
  const maxBlocks = opts.maxBlocks ?? 2500;
  let graph: ViewGraph | null = null;
  let graphNote: string | undefined;
  const g = r.cfg ? graphFromCfg(r.cfg) : p.insns.length ? fallbackGraph(p.insns) : null;
  if (!g) graphNote = 'the program has no instructions';
  else if (g.blocks.length > maxBlocks) graphNote = `the CFG has ${g.blocks.length} basic blocks; graphs above ${maxBlocks} are not drawn`;
  else graph = buildGraph(p, g, listing, path, failPc);

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
    listing,
    graph,
    pcStates,
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

/**
 * veristat's comparison mode against a baseline CSV (veristat's own or bpflab's): rows joined by
 * file and program, each stat as A (baseline), B (this run) and DIFF (MATCH/MISMATCH for
 * verdicts, `+N (+X.XX%)` for numbers). A verdict mismatch is what fails a CI job.
 */
import { InputError } from '../isa/errors.js';
import { column, numericValue, sortRows, statAllowed, nameAllowed, type ColumnDef, type Filter, type SortKey } from './columns.js';
import { csvField, formatTable, parseCsv } from './format.js';
import type { BatchRow } from './row.js';

/** A baseline row: values by column id, as read. */
export interface BaselineRow {
  file: string;
  program: string;
  values: Map<string, string>;
}

export interface Baseline {
  path: string;
  /** Column ids present in the baseline, in its order. */
  columns: string[];
  rows: BaselineRow[];
}

/** Reads a baseline CSV (header of veristat stat names). Throws InputError naming the file and line. */
export function parseBaseline(path: string, text: string): Baseline {
  const table = parseCsv(text);
  if (table.length === 0) throw new InputError('format', `${path}: empty baseline (expected a CSV header of veristat stat names)`);
  const header = table[0]!.map((h, i) => {
    const c = column(h.trim());
    if (!c) throw new InputError('format', `${path}:1: unrecognized stat name '${h}' in column ${i + 1}`);
    return c.id;
  });
  const fi = header.indexOf('file_name');
  const pi = header.indexOf('prog_name');
  if (fi < 0 || pi < 0) throw new InputError('format', `${path}:1: the header needs file_name and prog_name`);
  const rows = table.slice(1).map((cells, n) => {
    if (cells.length !== header.length) throw new InputError('format', `${path}:${n + 2}: ${cells.length} columns, the header has ${header.length}`);
    return { file: cells[fi]!, program: cells[pi]!, values: new Map(header.map((h, i) => [h, cells[i]!])) };
  });
  return { path, columns: header, rows };
}

const ROW_FIELDS: Record<string, (r: BatchRow, v: string) => void> = {
  verdict: (r, v) => { r.verdict = v === 'success' ? 'success' : 'failure'; },
  duration: (r, v) => { r.durationUs = Number(v); },
  total_insns: (r, v) => { r.totalInsns = Number(v); },
  total_states: (r, v) => { r.totalStates = Number(v); },
  peak_states: (r, v) => { r.peakStates = Number(v); },
  max_states_per_insn: (r, v) => { r.maxStatesPerInsn = Number(v); },
  mark_read: (r, v) => { r.markRead = Number(v); },
  error_kind: (r, v) => { r.errorKind = v; },
  error_insn: (r, v) => { r.errorPc = v === '' ? null : Number(v); },
  message: (r, v) => { r.message = v; },
  section: (r, v) => { r.section = v; },
  prog_type: (r, v) => { r.type = v; },
  size: (r, v) => { r.size = Number(v); },
  explain: (r, v) => { if (v) r.explain = v; },
};

/** Rows read back from a results CSV (veristat's -C mode compares two of them without verifying anything). */
export function rowsFromCsv(path: string, text: string): BatchRow[] {
  const t = parseBaseline(path, text);
  return t.rows.map((b) => {
    const r: BatchRow = {
      file: b.file, program: b.program, section: '', type: '', size: 0, verdict: 'failure', durationUs: 0, totalInsns: 0,
      totalStates: 0, peakStates: 0, maxStatesPerInsn: 0, markRead: 0, errorKind: '', errorPc: null, message: '',
    };
    for (const [id, v] of b.values) ROW_FIELDS[id]?.(r, v);
    return r;
  });
}

export interface JoinedRow {
  file: string;
  program: string;
  base: BaselineRow | null;
  comp: BatchRow | null;
}

const keyOf = (file: string, prog: string): string => `${file}\u0000${prog}`;
const baseName = (f: string): string => f.slice(f.lastIndexOf('/') + 1);

/** Joins the baseline with this run by (file, program); a baseline that names files by base name (veristat) matches on it. */
export function joinRows(baseline: Baseline, rows: readonly BatchRow[]): JoinedRow[] {
  const byKey = new Map(baseline.rows.map((b) => [keyOf(b.file, b.program), b]));
  const used = new Set<BaselineRow>();
  const out: JoinedRow[] = [];
  for (const r of rows) {
    const b = byKey.get(keyOf(r.file, r.program)) ?? byKey.get(keyOf(baseName(r.file), r.program));
    if (b && !used.has(b)) { used.add(b); out.push({ file: r.file, program: r.program, base: b, comp: r }); }
    else out.push({ file: r.file, program: r.program, base: null, comp: r });
  }
  for (const b of baseline.rows) if (!used.has(b)) out.push({ file: b.file, program: b.program, base: b, comp: null });
  return out;
}

const KEY_COLUMNS = new Set(['file_name', 'prog_name']);

interface Sides { a: string | number | null; b: string | number | null; diff: string; pct: number | null; absDiff: number | null }

function sides(j: JoinedRow, c: ColumnDef): Sides {
  const rawA = j.base?.values.get(c.id);
  const a: string | number | null = rawA === undefined ? null : c.numeric && /^-?\d+$/.test(rawA) ? Number(rawA) : rawA;
  const b = j.comp ? c.get(j.comp) : null;
  if (a === null || b === null || !j.base || !j.comp) return { a, b, diff: 'N/A', pct: null, absDiff: null };
  if (!c.numeric || typeof a !== 'number' || typeof b !== 'number') return { a, b, diff: String(a) === String(b) ? 'MATCH' : 'MISMATCH', pct: null, absDiff: null };
  const d = b - a;
  const pct = a === 0 ? (d === 0 ? 0 : d < 0 ? -100 : 100) : (d * 100) / a;
  const sign = (x: number): string => (x >= 0 ? '+' : '');
  return { a, b, diff: `${sign(d)}${d} (${sign(pct)}${pct.toFixed(2)}%)`, pct, absDiff: d };
}

export interface Comparison {
  joined: JoinedRow[];
  /** Programs whose verdict differs from the baseline's. */
  mismatches: { file: string; program: string; baseline: string; now: string }[];
  /** In the baseline but not in this run, and new in this run. */
  missing: JoinedRow[];
  added: JoinedRow[];
}

export function compareWithBaseline(baseline: Baseline, rows: readonly BatchRow[]): Comparison {
  const joined = joinRows(baseline, rows);
  const verdict = column('verdict')!;
  const mismatches: Comparison['mismatches'] = [];
  for (const j of joined) {
    if (!j.base || !j.comp) continue;
    const s = sides(j, verdict);
    if (s.diff === 'MISMATCH') mismatches.push({ file: j.file, program: j.program, baseline: String(s.a), now: String(s.b) });
  }
  return { joined, mismatches, missing: joined.filter((j) => !j.comp), added: joined.filter((j) => !j.base) };
}

/** Applies veristat's filters (names; stats with _a/_b/_diff/_pct) and sort (by the B side) to joined rows. */
export function selectJoined(joined: readonly JoinedRow[], filters: readonly Filter[], sort: readonly SortKey[]): JoinedRow[] {
  const kept = joined.filter((j) => nameAllowed(filters, j.file, j.program) && statAllowed(filters, (f) => {
    const s = sides(j, f.col);
    if (f.variant === 'a') return numericValue(s.a);
    if (f.variant === 'b') return numericValue(s.b);
    if (f.variant === 'pct') return s.pct;
    return f.col.numeric ? s.absDiff : numericValue(s.diff);
  }));
  return sortRows(kept, sort, (j, c) => (KEY_COLUMNS.has(c.id) ? (c.id === 'file_name' ? j.file : j.program) : sides(j, c).b));
}

function comparisonCells(joined: readonly JoinedRow[], cols: readonly ColumnDef[]): { headers: string[]; names: string[]; numeric: boolean[]; cells: string[][] } {
  const headers: string[] = [];
  const names: string[] = [];
  const numeric: boolean[] = [];
  for (const c of cols) {
    if (KEY_COLUMNS.has(c.id)) { headers.push(c.header); names.push(c.id); numeric.push(false); continue; }
    for (const [sfx, nsfx] of [[' (A)', '_base'], [' (B)', '_comp'], [' (DIFF)', '_diff']] as const) {
      headers.push(c.header + sfx); names.push(c.id + nsfx); numeric.push(c.numeric);
    }
  }
  const cells = joined.map((j) => cols.flatMap((c) => {
    if (KEY_COLUMNS.has(c.id)) return [c.id === 'file_name' ? j.file : j.program];
    const s = sides(j, c);
    const show = (v: string | number | null, present: boolean): string => (!present ? 'N/A' : v === null ? '' : String(v));
    return [show(s.a, !!j.base), show(s.b, !!j.comp), s.diff];
  }));
  return { headers, names, numeric, cells };
}

export function comparisonTable(joined: readonly JoinedRow[], cols: readonly ColumnDef[]): string {
  const t = comparisonCells(joined, cols);
  return formatTable(t.headers, t.cells, t.numeric);
}

export function comparisonCsv(joined: readonly JoinedRow[], cols: readonly ColumnDef[]): string {
  const t = comparisonCells(joined, cols);
  return [t.names.join(','), ...t.cells.map((c) => c.map(csvField).join(','))].join('\n') + '\n';
}

export function comparisonJson(joined: readonly JoinedRow[], cols: readonly ColumnDef[]): Record<string, string>[] {
  const t = comparisonCells(joined, cols);
  return t.cells.map((c) => Object.fromEntries(t.names.map((n, i) => [n, c[i]!])));
}

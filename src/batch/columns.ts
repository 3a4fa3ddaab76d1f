/**
 * veristat's statistics as columns (same headers, names and aliases, in the same order), bpflab's
 * additions, and the kernel's side; plus veristat's -e (emit), -s (sort) and -f (filter) specs.
 */
import { InputError } from '../isa/errors.js';
import type { BatchRow, KernelColumns } from './row.js';

export interface ColumnDef {
  /** veristat's CSV name (the first of `names`). */
  id: string;
  /** Table header. */
  header: string;
  /** Names accepted in -e/-s/-f specs. */
  names: readonly string[];
  numeric: boolean;
  /** Default sort direction (veristat: names and verdict ascending, numbers descending). */
  asc: boolean;
  get(row: BatchRow): string | number | null;
}

const kernelCol = (id: string, header: string, key: keyof KernelColumns, numeric: boolean, aliases: readonly string[] = []): ColumnDef => ({
  id: `kernel_${id}`, header: `Kernel ${header}`, names: [`kernel_${id}`, `k_${id}`, ...aliases.flatMap((a) => [`kernel_${a}`, `k_${a}`])], numeric, asc: !numeric,
  get: (r) => (r.kernel ? r.kernel[key] : null),
});

/** Every column bpflab knows, veristat's first in veristat's order. */
export const COLUMNS: readonly ColumnDef[] = [
  { id: 'file_name', header: 'File', names: ['file_name', 'filename', 'file'], numeric: false, asc: true, get: (r) => r.file },
  { id: 'prog_name', header: 'Program', names: ['prog_name', 'progname', 'prog'], numeric: false, asc: true, get: (r) => r.program },
  { id: 'verdict', header: 'Verdict', names: ['verdict'], numeric: false, asc: true, get: (r) => r.verdict },
  { id: 'duration', header: 'Duration (us)', names: ['duration', 'dur'], numeric: true, asc: false, get: (r) => r.durationUs },
  { id: 'total_insns', header: 'Total insns', names: ['total_insns', 'insns'], numeric: true, asc: false, get: (r) => r.totalInsns },
  { id: 'total_states', header: 'Total states', names: ['total_states', 'states'], numeric: true, asc: false, get: (r) => r.totalStates },
  { id: 'peak_states', header: 'Peak states', names: ['peak_states'], numeric: true, asc: false, get: (r) => r.peakStates },
  { id: 'max_states_per_insn', header: 'Max states per insn', names: ['max_states_per_insn'], numeric: true, asc: false, get: (r) => r.maxStatesPerInsn },
  { id: 'mark_read', header: 'Mark read', names: ['mark_read', 'max_mark_read_len'], numeric: true, asc: false, get: (r) => r.markRead },
  // bpflab's own
  { id: 'error_kind', header: 'Error kind', names: ['error_kind', 'kind'], numeric: false, asc: true, get: (r) => r.errorKind },
  { id: 'error_insn', header: 'Error insn', names: ['error_insn', 'error_pc'], numeric: true, asc: true, get: (r) => r.errorPc },
  { id: 'message', header: 'Message', names: ['message', 'error'], numeric: false, asc: true, get: (r) => r.message },
  { id: 'section', header: 'Section', names: ['section'], numeric: false, asc: true, get: (r) => r.section },
  { id: 'prog_type', header: 'Program type', names: ['prog_type', 'type'], numeric: false, asc: true, get: (r) => r.type },
  { id: 'size', header: 'Size (insns)', names: ['size', 'prog_insns'], numeric: true, asc: false, get: (r) => r.size },
  { id: 'explain', header: 'Explain', names: ['explain'], numeric: false, asc: true, get: (r) => r.explain ?? null },
  kernelCol('verdict', 'verdict', 'verdict', false),
  kernelCol('duration', 'duration (us)', 'durationUs', true, ['dur']),
  kernelCol('total_insns', 'total insns', 'totalInsns', true, ['insns']),
  kernelCol('total_states', 'total states', 'totalStates', true, ['states']),
  kernelCol('peak_states', 'peak states', 'peakStates', true),
  kernelCol('max_states_per_insn', 'max states per insn', 'maxStatesPerInsn', true),
  kernelCol('mark_read', 'mark read', 'markRead', true),
  kernelCol('message', 'message', 'message', false),
];

const BY_NAME = new Map<string, ColumnDef>();
for (const c of COLUMNS) for (const n of c.names) BY_NAME.set(n, c);

/** veristat's nine, then bpflab's error kind (and the kernel's and explain's when asked for). */
export function defaultColumns(opts: { kernel?: boolean; explain?: boolean } = {}): ColumnDef[] {
  const ids = ['file_name', 'prog_name', 'verdict', 'duration', 'total_insns', 'total_states', 'peak_states', 'max_states_per_insn', 'mark_read', 'error_kind'];
  if (opts.explain) ids.push('explain');
  if (opts.kernel) ids.push('kernel_verdict', 'kernel_duration', 'kernel_total_insns', 'kernel_total_states', 'kernel_peak_states', 'kernel_max_states_per_insn', 'kernel_mark_read');
  return ids.map((id) => column(id)!);
}

export function column(name: string): ColumnDef | undefined {
  return BY_NAME.get(name);
}

function needColumn(name: string, what: string): ColumnDef {
  const c = BY_NAME.get(name);
  if (!c) throw new InputError('usage', `${what}: unrecognized stat name '${name}' (have: ${COLUMNS.map((x) => x.id).join(', ')})`);
  return c;
}

/** -e SPEC: comma-separated stat names (repeatable; `-e` values add up as in veristat). */
export function parseEmit(specs: readonly string[]): ColumnDef[] {
  return specs.flatMap((s) => s.split(',').filter(Boolean).map((n) => needColumn(n.trim(), '-e')));
}

export interface SortKey { col: ColumnDef; asc: boolean }

/** -s SPEC: comma-separated stat names, each optionally `:asc` or `:desc`. */
export function parseSort(specs: readonly string[]): SortKey[] {
  return specs.flatMap((s) => s.split(',').filter(Boolean).map((item) => {
    const m = /^([^:]+)(?::(asc|desc))?$/.exec(item.trim());
    if (!m) throw new InputError('usage', `-s: bad sort spec '${item}'`);
    const col = needColumn(m[1]!, '-s');
    return { col, asc: m[2] ? m[2] === 'asc' : col.asc };
  }));
}

/** veristat's default order: file, then program. */
export const DEFAULT_SORT: readonly SortKey[] = [{ col: column('file_name')!, asc: true }, { col: column('prog_name')!, asc: true }];

function cmpValues(a: string | number | null, b: string | number | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : 1;
  return String(a) < String(b) ? -1 : 1;
}

export function sortRows<T>(rows: readonly T[], keys: readonly SortKey[], get: (row: T, col: ColumnDef) => string | number | null): T[] {
  return [...rows].sort((x, y) => {
    for (const k of keys) {
      const c = cmpValues(get(x, k.col), get(y, k.col));
      if (c) return k.asc ? c : -c;
    }
    return 0;
  });
}

/** veristat's glob: `*` only. */
export function globMatches(str: string, pat: string): boolean {
  const re = new RegExp('^' + pat.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
  return re.test(str);
}

type Op = '==' | '!=' | '<' | '<=' | '>' | '>=';
export type Filter =
  | { kind: 'name'; deny: boolean; any?: string; file?: string; prog?: string }
  | { kind: 'stat'; deny: boolean; col: ColumnDef; op: Op; value: number; variant: 'a' | 'b' | 'diff' | 'pct' };

const OPERATORS: readonly [string, Op][] = [['==', '=='], ['!=', '!='], ['<>', '!='], ['<=', '<='], ['<', '<'], ['>=', '>='], ['>', '>'], ['=', '==']];
const TRUE_WORDS = new Set(['true', 't', 'success', 'succ', 's', 'match', 'm']);
const FALSE_WORDS = new Set(['false', 'f', 'failure', 'fail', 'mismatch', 'mis']);

/**
 * -f EXPR as veristat reads it: `!` denies; `STAT OP VALUE` filters on a number (verdict:
 * success/failure; in comparison mode a `_a`, `_b`, `_diff` or `_pct` suffix picks the side);
 * otherwise `GLOB` (file or program name) or `FILE_GLOB/PROG_GLOB`. `@FILE` reads one per line.
 */
export function parseFilter(expr: string, readText: (path: string) => string = () => ''): Filter[] {
  if (expr.startsWith('@')) {
    return readText(expr.slice(1)).split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).flatMap((l) => parseFilter(l, readText));
  }
  const deny = expr.startsWith('!');
  const s = deny ? expr.slice(1) : expr;
  for (const [text, op] of OPERATORS) {
    const at = s.indexOf(text);
    if (at < 0) continue;
    let name = s.slice(0, at).trim();
    let variant: 'a' | 'b' | 'diff' | 'pct' = 'b';
    const vm = /^(.*)_(a|b|diff|pct)$/.exec(name);
    if (vm && BY_NAME.has(vm[1]!)) { name = vm[1]!; variant = vm[2] as typeof variant; }
    const col = needColumn(name, '-f');
    const raw = s.slice(at + text.length).trim();
    let value: number;
    if (TRUE_WORDS.has(raw.toLowerCase())) value = 1;
    else if (FALSE_WORDS.has(raw.toLowerCase())) value = 0;
    else if (/^-?\d+$/.test(raw)) value = Number(raw);
    else throw new InputError('usage', `-f: invalid integer value in '${expr}'`);
    if (!col.numeric && col.id !== 'verdict' && col.id !== 'kernel_verdict') throw new InputError('usage', `-f: non-integer stat in '${expr}'`);
    return [{ kind: 'stat', deny, col, op, value, variant }];
  }
  const slash = s.indexOf('/');
  if (slash < 0) return [{ kind: 'name', deny, any: s }];
  return [{ kind: 'name', deny, ...(slash > 0 && { file: s.slice(0, slash) }), ...(s.length > slash + 1 && { prog: s.slice(slash + 1) }) }];
}

/** A numeric view of a value: verdicts are 1 (success / MATCH) or 0. */
export function numericValue(v: string | number | null): number | null {
  if (typeof v === 'number') return v;
  if (v === 'success' || v === 'MATCH') return 1;
  if (v === 'failure' || v === 'MISMATCH') return 0;
  return null;
}

function opHolds(op: Op, a: number, b: number): boolean {
  switch (op) {
    case '==': return a === b;
    case '!=': return a !== b;
    case '<': return a < b;
    case '<=': return a <= b;
    case '>': return a > b;
    case '>=': return a >= b;
  }
}

const baseName = (f: string): string => f.slice(f.lastIndexOf('/') + 1);

/** Whether a (file, program) passes the name filters (veristat's should_process_file_prog; globs match the base name or the path). */
export function nameAllowed(filters: readonly Filter[], file: string, prog: string): boolean {
  const m = (s: string, g: string): boolean => globMatches(s, g) || (s === file && globMatches(baseName(s), g));
  let allows = 0;
  for (const f of filters) {
    if (f.kind !== 'name' || !f.deny) continue;
    if (f.any !== undefined && (m(file, f.any) || m(prog, f.any))) return false;
    if (f.file !== undefined && m(file, f.file) && (f.prog === undefined || m(prog, f.prog))) return false;
    if (f.file === undefined && f.prog !== undefined && m(prog, f.prog)) return false;
  }
  for (const f of filters) {
    if (f.kind !== 'name' || f.deny) continue;
    allows++;
    if (f.any !== undefined) { if (m(file, f.any) || m(prog, f.any)) return true; continue; }
    if (f.file !== undefined && !m(file, f.file)) continue;
    if (f.prog !== undefined && !m(prog, f.prog)) continue;
    return true;
  }
  return allows === 0;
}

/** Whether a row passes the stat filters; `value` reads a filter's column (and variant) from it. */
export function statAllowed(filters: readonly Filter[], value: (f: Extract<Filter, { kind: 'stat' }>) => number | null): boolean {
  let allows = 0;
  for (const f of filters) {
    if (f.kind !== 'stat') continue;
    const v = value(f);
    const hit = v !== null && opHolds(f.op, v, f.value);
    if (f.deny) { if (hit) return false; continue; }
    allows++;
    if (hit) return true;
  }
  return allows === 0;
}

/** Rows that pass all filters. */
export function filterRows(rows: readonly BatchRow[], filters: readonly Filter[]): BatchRow[] {
  return rows.filter((r) => nameAllowed(filters, r.file, r.program) && statAllowed(filters, (f) => numericValue(f.col.get(r))));
}

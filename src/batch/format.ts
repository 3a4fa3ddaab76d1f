/** A batch run's rows as veristat prints them: an aligned table, CSV (veristat's stat names as header), or JSON. */
import type { ColumnDef } from './columns.js';
import type { BatchRow } from './row.js';

const SEP = '  ';

/** A CSV field: quoted (RFC 4180) only when it holds a comma, quote or line break. */
export function csvField(v: string | number | null): string {
  const s = v === null ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Splits CSV text into rows of fields (RFC 4180 quoting). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (ch === '"') quoted = false;
      else field += ch;
      continue;
    }
    if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') { row.push(field); field = ''; }
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field); field = '';
      if (row.length > 1 || row[0] !== '') rows.push(row);
      row = [];
    } else field += ch;
  }
  if (field !== '' || row.length) { row.push(field); rows.push(row); }
  return rows;
}

/** An aligned table: strings left, numbers right, a dashed line under the header and after the last row (as veristat). */
export function formatTable(headers: readonly string[], cells: readonly (readonly string[])[], numeric: readonly boolean[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]): string => c.map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join(SEP).trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join(SEP);
  const out = [headers.map((h, i) => h.padEnd(widths[i]!)).join(SEP).trimEnd(), rule, ...cells.map(line)];
  if (cells.length) out.push(rule);
  return out.join('\n') + '\n';
}

const cell = (v: string | number | null): string => (v === null ? '' : String(v));

export function rowsTable(rows: readonly BatchRow[], cols: readonly ColumnDef[]): string {
  return formatTable(cols.map((c) => c.header), rows.map((r) => cols.map((c) => cell(c.get(r)))), cols.map((c) => c.numeric));
}

export function rowsCsv(rows: readonly BatchRow[], cols: readonly ColumnDef[]): string {
  const lines = [cols.map((c) => c.id).join(',')];
  for (const r of rows) lines.push(cols.map((c) => csvField(c.get(r))).join(','));
  return lines.join('\n') + '\n';
}

/** JSON: one object per row keyed by the columns' CSV names. */
export function rowsJson(rows: readonly BatchRow[], cols: readonly ColumnDef[]): Record<string, string | number | null>[] {
  return rows.map((r) => Object.fromEntries(cols.map((c) => [c.id, c.get(r)])));
}

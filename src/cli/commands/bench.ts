/**
 * `bpflab bench [--json] [--quick] [--only GROUP]`: the benchmark table of SPEC section 5.
 * Each area contributes a suite in src/bench/<area>.ts; rows carry their anchor from the same run.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { helpText, parseArgs, type CommandDecl } from '../args.js';
import type { Command } from '../io.js';
import type { BenchRow, BenchSuite } from '../../bench/types.js';

const AREAS = ['vm', 'jit', 'replay', 'verifier', 'report', 'fuzz', 'proofs'] as const;

const decl: CommandDecl = {
  name: 'bench',
  summary: 'Run the benchmarks (VM, JIT, verifier, report, fuzzing, proofs), each beside its anchor measured in the same run.',
  usage: 'bench [--json] [--quick] [--only GROUP]',
  options: [
    { name: 'quick', kind: 'flag', description: 'fewer iterations (a smoke run)' },
    { name: 'only', kind: 'list', valueName: 'GROUP', description: `run only these groups, comma-separated or repeated (${AREAS.join(', ')})` },
  ],
  positionals: { min: 0, max: 0, name: '' },
};

async function loadSuite(area: string): Promise<BenchSuite | null> {
  const url = new URL(`../../bench/${area}.js`, import.meta.url);
  if (!existsSync(fileURLToPath(url))) return null;
  const mod = (await import(url.href)) as Record<string, unknown>;
  const fn = mod['suite'] ?? mod['default'] ?? Object.values(mod).find((v) => typeof v === 'function');
  return typeof fn === 'function' ? (fn as BenchSuite) : null;
}

function fmt(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '-';
  return Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toPrecision(3);
}

export function formatTable(rows: readonly BenchRow[]): string {
  const head = ['group', 'benchmark', 'value', 'unit', 'anchor', 'anchor value', 'ratio', 'note'];
  const body = rows.map((r) => [r.group, r.name, fmt(r.value), r.unit, r.anchor ?? '-', fmt(r.anchorValue), r.ratio === undefined ? '-' : `${fmt(r.ratio)}x`, r.note ?? '']);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n') + '\n';
}

export const command: Command = {
  decl,
  async run(argv, io) {
    const args = parseArgs(decl, argv);
    if (args.flags.has('help')) { io.out(helpText(decl) + '\n'); return 0; }
    // `--only vm,jit` and `--only vm --only jit` both work (as `fuzz --oracle a,b`).
    const only = args.lists.get('only')?.flatMap((g) => g.split(',')).map((g) => g.trim()).filter(Boolean);
    for (const g of only ?? []) if (!(AREAS as readonly string[]).includes(g)) {
      io.err(`bpflab: bench: unknown group '${g}' (have: ${AREAS.join(', ')})\n`);
      return 2;
    }
    const rows: BenchRow[] = [];
    const missing: string[] = [];
    for (const area of AREAS) {
      if (only && !only.includes(area)) continue;
      const suite = await loadSuite(area);
      if (!suite) { missing.push(area); continue; }
      io.err(`bench: ${area}...\n`);
      rows.push(...(await suite({ quick: args.flags.has('quick'), progress: (l) => io.err(`  ${l}\n`) })));
    }
    if (args.flags.has('json')) io.out(JSON.stringify({ rows, missing }, null, 2) + '\n');
    else {
      io.out(formatTable(rows));
      if (missing.length) io.out(`(no suite yet for: ${missing.join(', ')})\n`);
    }
    return 0;
  },
};

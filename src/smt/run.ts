/**
 * Runs a set of obligations with progress reporting and renders the proof table
 * (operator, width, result, seconds) that `bpflab prove` prints and proofs/README.md carries.
 */
import type { Obligation } from './obligations.js';
import { prove, type Patch, type ProofResult } from './prover.js';
import { loadZ3 } from './z3-algebra.js';

export interface ProofRun {
  results: ProofResult[];
  passed: number;
  failed: number;
  seconds: number;
}

export interface RunOptions {
  widths: readonly number[];
  timeoutMs: number;
  patch?: Patch;
  progress?: (line: string) => void;
}

export async function runProofs(obs: readonly Obligation[], opts: RunOptions): Promise<ProofRun> {
  const z = await loadZ3();
  const t0 = performance.now();
  const results: ProofResult[] = [];
  try {
    for (const [i, ob] of obs.entries()) {
      opts.progress?.(`[${i + 1}/${obs.length}] ${ob.name} ...`);
      const r = await prove(z, ob, { widths: opts.widths, timeoutMs: opts.timeoutMs, ...(opts.patch ? { patch: opts.patch } : {}) });
      results.push(r);
      const tried = r.attempts.map((a) => `${a.width}:${a.verdict}`).join(' ');
      opts.progress?.(`[${i + 1}/${obs.length}] ${ob.name}: ${r.verdict} at ${r.width} bits in ${r.seconds.toFixed(2)} s (${tried})`);
    }
  } finally {
    await z.close();
  }
  const passed = results.filter((r) => r.verdict === 'proved').length;
  return { results, passed, failed: results.length - passed, seconds: (performance.now() - t0) / 1000 };
}

/** The proof table as aligned text (or Markdown). */
export function formatTable(results: readonly ProofResult[], markdown = false): string {
  const rows = results.map((r) => {
    const fellBack = r.attempts.filter((a) => a.width > r.width).map((a) => `${a.width}: ${a.verdict}`);
    const result = r.verdict + (fellBack.length ? ` (${fellBack.join(', ')})` : '') + (r.assumes && r.verdict === 'proved' ? ` assuming ${r.assumes}` : '');
    return [r.name, String(r.width), result, r.seconds.toFixed(2)];
  });
  const head = ['operator', 'width', 'result', 'seconds'];
  if (markdown) {
    return [`| ${head.join(' | ')} |`, '|---|---|---|---|', ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n') + '\n';
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}

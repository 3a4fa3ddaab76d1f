/**
 * `bpflab selftests DIR|FILE... [--kernel-verdicts FILE] [--baseline FILE [--update-baseline]]
 * [--filter RE] [--log] [--json]`: run kernel selftest-style objects (`progs/verifier_*.c`
 * compiled) as the kernel's test_loader.c does, with the expectations from each program's BTF
 * decl tags. A line per failed test, a table per file, then `N passed, N failed[, N skipped]`;
 * with recorded kernel verdicts also the agreement figures, checked against a baseline file.
 * Exit 1 when a test failed (or, with --baseline, only when the figures regressed).
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../isa/errors.js';
import {
  kernelVerdictOf, makeBaseline, parseBaseline, parseKernelVerdicts, regressions, runSuite,
  type Agreement, type FileSummary, type KernelVerdicts, type TestResult,
} from '../../selftests/index.js';
import { parseArgs, UsageError, type CommandDecl } from '../args.js';
import type { Command, Io } from '../io.js';

const decl: CommandDecl = {
  name: 'selftests',
  summary: "Run kernel-selftest-style objects as the kernel's test_loader.c does (expectations from BTF decl tags).",
  usage: 'selftests DIR|FILE... [--kernel-verdicts FILE] [--baseline FILE [--update-baseline]] [--filter RE] [--log] [--json]',
  options: [
    { name: 'kernel-verdicts', kind: 'string', valueName: 'FILE', description: 'recorded kernel verdicts (kernel-verdicts.json format): add the agreement figures' },
    { name: 'baseline', kind: 'string', valueName: 'FILE', description: 'with --kernel-verdicts: agreement figures to hold; exit 1 only when they regress' },
    { name: 'update-baseline', kind: 'flag', description: 'write the figures of this run to the --baseline file' },
    { name: 'filter', kind: 'string', valueName: 'RE', description: 'only tests whose "file/name" matches this regular expression' },
    { name: 'log', kind: 'flag', description: "print bpflab's verifier log of each failed test" },
  ],
  positionals: { min: 1, max: 10000, name: 'DIR|FILE' },
};

/** Object files: FILE as given, DIR's *.o (sorted, not recursive). */
function objectFiles(path: string, io: Io): string[] {
  let st;
  try { st = statSync(path); } catch { io.readFile(path); return [path]; }
  if (!st.isDirectory()) return [path];
  return readdirSync(path).filter((e) => e.endsWith('.o')).sort().map((e) => join(path, e));
}

const pct = (n: number, d: number): string => (d === 0 ? '-' : `${((100 * n) / d).toFixed(1)}%`);

function failure(t: TestResult): string {
  if (t.verdict === 'error') return `no verdict: ${t.why ?? 'error'}`;
  if (t.verdict !== t.expect) {
    const err = t.error ? `: ${t.error.program !== t.name ? `${t.error.program}: ` : ''}insn ${t.error.pc}: ${t.error.message} [${t.error.kind}]` : '';
    return `expected ${t.expect}, bpflab ${t.verdict}s${err}`;
  }
  if (t.msgUnmatched >= 0) return `__msg not in log: '${t.msgs[t.msgUnmatched]}'${t.error ? ` (bpflab: ${t.error.message})` : ''}`;
  if (t.retval && !t.retval.ok) return `__retval ${t.retval.expected}, the VM returns ${t.retval.fault ?? t.retval.actual}`;
  return 'failed';
}

export const command: Command = {
  decl,
  async run(argv, io) {
    const args = parseArgs(decl, argv);
    const json = args.flags.has('json');
    let verdicts: KernelVerdicts | undefined;
    const vpath = args.strings.get('kernel-verdicts');
    if (vpath !== undefined) verdicts = parseKernelVerdicts(new TextDecoder().decode(io.readFile(vpath)), vpath);
    const bpath = args.strings.get('baseline');
    const update = args.flags.has('update-baseline');
    if (bpath !== undefined && !verdicts) throw new UsageError('selftests: --baseline needs --kernel-verdicts');
    if (update && bpath === undefined) throw new UsageError('selftests: --update-baseline needs --baseline FILE');
    const baseline = bpath !== undefined && !update ? parseBaseline(new TextDecoder().decode(io.readFile(bpath)), bpath) : undefined;
    let filter: RegExp | undefined;
    const f = args.strings.get('filter');
    if (f !== undefined) {
      try { filter = new RegExp(f); } catch (e) { throw new UsageError(`selftests: --filter: ${(e as Error).message}`); }
    }
    const files = args.positionals.flatMap((p) => objectFiles(p, io));
    const suite = await runSuite(files, (p) => io.readFile(p), verdicts,
      { keepLogs: args.flags.has('log'), ...(filter && { filter: (file, name) => filter.test(`${file}/${name}`) }) },
      (_row, results) => {
        if (json) return;
        for (const t of results) {
          if (t.skipped || t.passed) continue;
          io.out(`FAIL ${t.file}/${t.name}: ${failure(t)}\n`);
          if (t.log) io.out(t.log.replace(/^/gm, '    ') + '\n');
        }
      });
    const perFile = Object.fromEntries(suite.files.filter((r) => r.agreement).map((r) => [r.file, r.agreement!]));
    const regressed = baseline && suite.agreement ? regressions(baseline, suite.agreement, perFile) : [];
    if (update && suite.agreement) {
      if (filter) throw new InputError('usage', 'selftests: --update-baseline records the whole suite; drop --filter');
      io.writeFile(bpath!, JSON.stringify(makeBaseline(suite.agreement, perFile), null, 1) + '\n');
    }
    if (json) {
      const tests = suite.tests.map(({ log: _l, ...t }) => ({ ...t, ...(verdicts && { kernel: kernelVerdictOf(verdicts, t)?.verdict ?? null }) }));
      io.out(JSON.stringify({ files: suite.files, tests, passed: suite.passed, failed: suite.failed, skipped: suite.skipped,
        ...(suite.agreement && { agreement: suite.agreement }), ...(baseline && { regressions: regressed }) }) + '\n');
    } else {
      io.out(table(suite.files, suite.agreement));
      for (const r of regressed) io.out(`REGRESSION: ${r}\n`);
      io.out(`${suite.passed} passed, ${suite.failed} failed${suite.skipped ? `, ${suite.skipped} skipped` : ''}\n`);
    }
    if (baseline) return regressed.length ? 1 : 0;
    return suite.failed ? 1 : 0;
  },
};

function table(rows: readonly FileSummary[], total: Agreement | undefined): string {
  const head = ['file', 'passed', 'failed', 'skipped'];
  if (total) head.push('kernel', 'agree', 'accept/kernel-rejects', 'reject/kernel-accepts', 'no verdict', 'msg', 'retval');
  const line = (file: string, r: Omit<FileSummary, 'file'>, a?: Agreement): string[] => {
    const cells = [file, String(r.passed), String(r.failed), String(r.skipped)];
    if (a) cells.push(String(a.withKernelVerdict), `${a.agree} (${pct(a.agree, a.withKernelVerdict)})`, String(a.acceptedKernelRejects), String(a.rejectedKernelAccepts),
      String(a.noVerdict), `${a.msgMatch}/${a.bothReject}`, `${a.retvalMatch}/${a.retvalRuns}`);
    return cells;
  };
  const body = rows.map((r) => line(r.file, r, r.agreement));
  if (total) {
    const sum = rows.reduce((a, r) => ({ passed: a.passed + r.passed, failed: a.failed + r.failed, skipped: a.skipped + r.skipped }), { passed: 0, failed: 0, skipped: 0 });
    body.push(line('total', sum, total));
  }
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const fmt = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd() + '\n';
  return [head, ...body].map(fmt).join('');
}

/**
 * bpflab prove: Z3 soundness proofs of the scalar domain's operators (SPEC section 1).
 * A progress line per obligation on stderr, the table on stdout, closing line `N passed, N failed`.
 */
import { helpText, numberOption, parseArgs, UsageError, type CommandDecl } from '../args.js';
import type { Command } from '../io.js';

const decl: CommandDecl = {
  name: 'prove',
  summary: 'Run the Z3 soundness proofs of the abstract operators (a table, then the closing line `N passed, N failed`).',
  usage: 'prove [--width W] [--op NAME] [--timeout SECONDS] [--jobs N] [--json]',
  options: [
    { name: 'width', kind: 'number', valueName: 'W', description: 'prove only at this width (8, 16, 32 or 64); default 64 with fallback to 32/16/8/4' },
    { name: 'op', kind: 'string', valueName: 'NAME', description: 'only obligations whose name is NAME, starts with NAME. or contains NAME' },
    { name: 'timeout', kind: 'number', valueName: 'SECONDS', description: 'time budget per obligation and width (default 30); a worker that exceeds it is killed' },
    { name: 'jobs', kind: 'number', valueName: 'N', description: 'worker processes proving in parallel (default: cores, at most 4)' },
    { name: 'markdown', kind: 'flag', description: 'print the table as Markdown (for proofs/README.md)' },
    { name: 'precision', kind: 'flag', description: 'instead of proving, measure the precision of every operator at width 8 and print the precision table (Markdown)' },
  ],
  positionals: { min: 0, max: 0, name: '' },
};

export const command: Command = {
  decl,
  async run(argv, io) {
    const args = parseArgs(decl, argv);
    if (args.flags.has('help')) {
      io.out(helpText(decl) + '\n');
      return 0;
    }
    if (args.flags.has('precision')) {
      const { measurePrecision, formatPrecisionTable } = await import('../../smt/precision.js');
      io.out(formatPrecisionTable(measurePrecision()));
      return 0;
    }
    const width = args.strings.has('width') ? numberOption(args, 'width', 64) : undefined;
    if (width !== undefined && ![8, 16, 32, 64].includes(width)) throw new UsageError(`prove: --width must be 8, 16, 32 or 64 (got ${width})`);
    const timeoutMs = numberOption(args, 'timeout', 30) * 1000;
    if (!(timeoutMs > 0)) throw new UsageError('prove: --timeout must be a positive number of seconds');
    const { selectObligations, runProofs, formatTable, defaultJobs } = await import('../../smt/index.js');
    const jobs = numberOption(args, 'jobs', defaultJobs());
    if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError(`prove: --jobs must be a positive integer (got ${jobs})`);
    const filter = args.strings.get('op');
    const obs = selectObligations(filter);
    if (obs.length === 0) throw new UsageError(`prove: no obligation matches '${filter}' (try: alu64.add, jlt32, tnum, sync)`);
    const run = await runProofs(obs, {
      widths: width !== undefined ? [width] : [64, 32, 16, 8, 4],
      timeoutMs,
      jobs,
      progress: (line) => io.err(line + '\n'),
    });
    if (args.flags.has('json')) {
      io.out(JSON.stringify({ passed: run.passed, failed: run.failed, na: run.na, seconds: run.seconds, jobs: run.jobs, results: run.results }, null, 1) + '\n');
    } else {
      io.out(formatTable(run.results, args.flags.has('markdown')));
      for (const r of run.results.filter((x) => x.counterexample)) {
        io.out(`\ncounterexample for ${r.name} at ${r.width} bits (replayed on the running operators: ${r.counterexample!.replayed ? 'violation confirmed' : 'NOT reproduced'}):\n`);
        io.out(JSON.stringify(r.counterexample, null, 1) + '\n');
      }
      const count = (v: string): number => run.results.filter((r) => r.verdict === v).length;
      const cpu = run.results.reduce((s, r) => s + (r.cpu ?? 0), 0);
      io.out(`${run.seconds.toFixed(1)} s wall clock with ${run.jobs} worker${run.jobs > 1 ? 's' : ''} (${cpu.toFixed(1)} s of worker CPU); ${count('timeout')} timed out, ${count('error')} errors, ${run.na} n/a\n`);
      io.out(`${run.passed} passed, ${run.failed} failed\n`);
    }
    return run.failed === 0 ? 0 : 1;
  },
};

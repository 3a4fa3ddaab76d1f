/**
 * `bpflab report FILE -o OUT.html [--section S] [--type T] [--sarif OUT.sarif] [--kernel]`:
 * verify every program in FILE (and explain the rejected ones when explain is available) and
 * write the self-contained HTML report. Exit 0 when all are accepted, 1 when any is rejected,
 * 2 on bad input.
 */
import { loadFile } from '../../loader/index.js';
import { buildReportInput, writeReports } from '../../report/index.js';
import type { DomainName, Strategy } from '../../verifier/index.js';
import { parseArgs, UsageError, type CommandDecl } from '../args.js';
import { LOAD_OPTIONS, loadOptionsFrom } from '../load-options.js';
import type { Command } from '../io.js';

const decl: CommandDecl = {
  name: 'report',
  summary: 'Verify every program in FILE and write a self-contained HTML report (CFG, failing path, states per instruction, counterexample).',
  usage: 'report FILE -o OUT.html [--section S] [--type T] [--sarif OUT.sarif] [--kernel] [--domain D]',
  options: [
    { name: 'out', short: 'o', kind: 'string', valueName: 'OUT.html', description: 'write the HTML report to OUT.html (- for stdout)' },
    ...LOAD_OPTIONS,
    { name: 'sarif', kind: 'string', valueName: 'OUT.sarif', description: 'also write SARIF 2.1.0 (one result per rejected program) for CI' },
    { name: 'kernel', kind: 'flag', description: 'also load each program into the running kernel and show its verdict' },
    { name: 'no-explain', kind: 'flag', description: 'do not run explain (Z3 counterexamples) on rejected programs' },
    { name: 'domain', kind: 'string', valueName: 'D', choices: ['kernel', 'tnum', 'interval'], description: 'scalar domain (default kernel)' },
    { name: 'strategy', kind: 'string', valueName: 'S', choices: ['dfs', 'join'], description: 'exploration: dfs (kernel, default) or join' },
    { name: 'deny-uninit-stack', kind: 'flag', description: 'reject reads of never-written stack, as the kernel does for unprivileged loaders (default: allowed, as for root)' },
    { name: 'allow-uninit-stack', kind: 'flag', description: 'the default (kept for older command lines): reads of never-written stack allowed, as for root' },
  ],
  positionals: { min: 1, max: 1, name: 'FILE' },
};

export const command: Command = {
  decl,
  async run(argv, io) {
    const args = parseArgs(decl, argv);
    const path = args.positionals[0]!;
    const out = args.strings.get('out');
    if (out === undefined) throw new UsageError('report: missing -o OUT.html (usage: bpflab ' + decl.usage + ')');
    const programs = await loadFile(path, io.readFile(path), loadOptionsFrom(args));
    const verifyOpts = {
      domain: (args.strings.get('domain') ?? 'kernel') as DomainName,
      strategy: (args.strings.get('strategy') ?? 'dfs') as Strategy,
      allowUninitStack: !args.flags.has('deny-uninit-stack'),
    };
    let kernel;
    if (args.flags.has('kernel')) {
      const { kernelVerdict } = await import('./verify.js');
      kernel = kernelVerdict;
    }
    const input = await buildReportInput(path, programs, {
      verify: verifyOpts,
      explain: !args.flags.has('no-explain'),
      ...(kernel && { kernel }),
    });
    input.version = '0.1.0';
    const sarif = args.strings.get('sarif');
    writeReports(io, { html: out, sarif }, input, { verifyOptions: verifyOpts });
    const rejected = input.programs.filter((p) => p.result.verdict === 'reject').length;
    if (args.flags.has('json')) {
      io.out(JSON.stringify({
        file: path, report: out, ...(sarif !== undefined && { sarif }),
        programs: input.programs.map((p) => ({ name: p.program.name, section: p.program.section, verdict: p.result.verdict, error: p.result.error })),
      }) + '\n');
    } else if (out !== '-') {
      io.out(`${out}: ${input.programs.length} program${input.programs.length === 1 ? '' : 's'}, ${rejected} rejected\n`);
    }
    return rejected ? 1 : 0;
  },
};

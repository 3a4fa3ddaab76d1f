/**
 * `bpflab verify FILE [--section S] [--type T] [--json] [--log] [--report OUT.html] [--sarif OUT.sarif]
 * [--kernel] [--domain D]`: verify every program in FILE; with --kernel also load each into the
 * running kernel and show both verdicts; --report / --sarif write the HTML report / SARIF. Exit 0 when every program is accepted, 1 when any is rejected, 2 on bad input.
 */
import type { Program } from '../../isa/program.js';
import { loadFile } from '../../loader/index.js';
import type { ProgramReportInput } from '../../report/index.js';
import { verify, type DomainName, type Strategy, type VerifyResult } from '../../verifier/index.js';
import { firstKernelError, kernelProcessed } from '../../verifier/kernel-log.js';
import { parseArgs, type CommandDecl } from '../args.js';
import { LOAD_OPTIONS, loadOptionsFrom } from '../load-options.js';
import type { Command } from '../io.js';

const decl: CommandDecl = {
  name: 'verify',
  summary: 'Verify every program in FILE (ELF object, assembly, conformance .data, raw bytecode) as the Linux verifier would.',
  usage: 'verify FILE [--section S] [--type T] [--json] [--log] [--report OUT.html] [--sarif OUT.sarif] [--kernel] [--domain kernel|tnum|interval]',
  options: [
    ...LOAD_OPTIONS,
    { name: 'log', kind: 'flag', description: 'print the verifier log in the Linux kernel\'s format' },
    { name: 'log-level', kind: 'string', valueName: 'N', choices: ['1', '2'], description: 'with --log: 2 also prints the full state before every instruction' },
    { name: 'report', kind: 'string', valueName: 'OUT.html', description: 'write a self-contained HTML report' },
    { name: 'sarif', kind: 'string', valueName: 'OUT.sarif', description: 'write SARIF 2.1.0 for CI (one result per rejected program)' },
    { name: 'kernel', kind: 'flag', description: 'also load each program into the running kernel and show both verdicts' },
    { name: 'domain', kind: 'string', valueName: 'D', choices: ['kernel', 'tnum', 'interval'], description: 'scalar domain (default kernel: tnum x s64/u64/s32/u32 ranges)' },
    { name: 'strategy', kind: 'string', valueName: 'S', choices: ['dfs', 'join'], description: 'exploration: dfs (kernel, default) or join (join + widening at loop heads)' },
    { name: 'allow-uninit-stack', kind: 'flag', description: 'accept reads of unwritten stack, as the kernel does for privileged loaders' },
  ],
  positionals: { min: 1, max: 1, name: 'FILE' },
};

export interface KernelVerdict {
  verdict: 'accept' | 'reject' | 'unavailable';
  message: string;
  processed?: number;
  ms?: number;
}

/** Loads `program` into the running kernel (lazily binding bpf()); `unavailable` with the reason otherwise. */
export async function kernelVerdict(program: Program): Promise<KernelVerdict> {
  const k = await import('../../kernel/index.js');
  const avail = k.kernelAvailable();
  if (!avail.ok) return { verdict: 'unavailable', message: avail.reason };
  try {
    const r = k.progLoad(program, { logLevel: 0 });
    if (r.fd !== null) k.closeFd(r.fd);
    const out: KernelVerdict = { verdict: r.verdict, message: r.verdict === 'accept' ? '' : firstKernelError(r.log) || `errno ${r.errno}`, ms: r.ms };
    const processed = r.processed ?? kernelProcessed(r.log);
    if (processed !== undefined) out.processed = processed;
    return out;
  } catch (e) {
    return { verdict: 'unavailable', message: e instanceof Error ? e.message : String(e) };
  }
}

function summary(p: Program, r: VerifyResult): string {
  const head = `${p.name}${p.section ? ` (${p.section})` : ''} [${p.type}, ${p.insns.length} insns]`;
  const stats = `processed ${r.processed} insns, ${r.states} states, ${r.ms.toFixed(1)} ms`;
  if (r.verdict === 'accept') return `${head}: accept (${stats})`;
  return `${head}: reject at insn ${r.error!.pc}: ${r.error!.message} [${r.error!.kind}] (${stats})`;
}

export const command: Command = {
  decl,
  async run(argv, io) {
    const args = parseArgs(decl, argv);
    const path = args.positionals[0]!;
    const programs = await loadFile(path, io.readFile(path), loadOptionsFrom(args));
    const json = args.flags.has('json');
    const withLog = args.flags.has('log');
    const withKernel = args.flags.has('kernel');
    const domain = (args.strings.get('domain') ?? 'kernel') as DomainName;
    const strategy = (args.strings.get('strategy') ?? 'dfs') as Strategy;
    const vopts = { domain, strategy, allowUninitStack: args.flags.has('allow-uninit-stack') };
    const reportPath = args.strings.get('report');
    const sarifPath = args.strings.get('sarif');
    const collected: ProgramReportInput[] = [];
    let rejected = 0;
    const out: unknown[] = [];
    for (const p of programs) {
      const r = verify(p, { ...vopts, log: withLog, logLevel: args.strings.get('log-level') === '2' ? 2 : 1 });
      if (r.verdict === 'reject') rejected++;
      const kv = withKernel ? await kernelVerdict(p) : undefined;
      if (reportPath !== undefined || sarifPath !== undefined) collected.push({ program: p, result: r, kernel: kv ?? null });
      if (json) {
        out.push({
          name: p.name, section: p.section, type: p.type, insns: p.insns.length, verdict: r.verdict, error: r.error,
          processed: r.processed, states: r.states, ms: Number(r.ms.toFixed(3)),
          ...(withLog && { log: r.log }),
          ...(kv && { kernel: kv.verdict === 'unavailable' ? { verdict: null, message: kv.message } : kv }),
        });
      } else {
        if (withLog) io.out(r.log ?? '');
        io.out(summary(p, r) + '\n');
        if (kv) {
          if (kv.verdict === 'unavailable') io.out(`  kernel: unavailable (${kv.message})\n`);
          else {
            const agree = kv.verdict === r.verdict ? 'agrees' : 'DISAGREES';
            io.out(`  kernel: ${kv.verdict}${kv.message ? `: ${kv.message}` : ''} (processed ${kv.processed ?? '?'} insns, ${kv.ms?.toFixed(1) ?? '?'} ms) -- ${agree}\n`);
          }
        }
      }
    }
    if (json) io.out(JSON.stringify({ file: path, programs: out }) + '\n');
    if (reportPath !== undefined || sarifPath !== undefined) {
      // Loaded lazily: the report renderer (d3 bundle, templates) is not needed by plain runs.
      const { writeReports } = await import('../../report/index.js');
      writeReports(io, { html: reportPath, sarif: sarifPath }, { file: path, programs: collected }, { verifyOptions: vopts });
    }
    return rejected ? 1 : 0;
  },
};

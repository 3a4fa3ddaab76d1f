/**
 * `bpflab verify FILES|DIRS... [--section S] [--type T] [--json] [--log] [--report OUT.html] [--sarif OUT.sarif]
 * [--kernel] [--domain D] [--output text|table|csv|json] [-e SPEC] [-s SPEC] [-f FILTER] [--compare BASELINE.csv] [--jobs N]`
 *
 * One file in text or --json mode prints per-program lines / SPEC section 4's document (unchanged).
 * Several files, folders or globs, or --output table|csv|json, make a batch run in veristat's
 * columns (src/batch). Exit 0 when every program is accepted, 1 when any is rejected (with
 * --compare: when any verdict differs from the baseline), 2 on bad input.
 */
import { InputError } from '../../isa/errors.js';
import { makeProgram, type Program } from '../../isa/program.js';
import { kernelVerdict, type KernelVerdict } from '../../kernel/verdict.js';
import { loadFile } from '../../loader/index.js';
import type { ProgramReportInput } from '../../report/index.js';
import { verify, type DomainName, type Strategy, type VerifyOptions, type VerifyResult } from '../../verifier/index.js';
import {
  DEFAULT_SORT, compareWithBaseline, comparisonCsv, comparisonJson, comparisonTable, defaultColumns, expandInputs, filterRows,
  parseBaseline, parseEmit, parseFilter, parseSort, rowsCsv, rowsFromCsv, rowsJson, rowsTable, selectJoined, sortRows, verifyFiles,
  type BatchRow, type Filter,
} from '../../batch/index.js';
import { parseArgs, UsageError, type CommandDecl, type ParsedArgs } from '../args.js';
import { LOAD_OPTIONS, loadOptionsFrom } from '../load-options.js';
import type { Command, Io } from '../io.js';

export { kernelVerdict, type KernelVerdict };

const decl: CommandDecl = {
  name: 'verify',
  summary: 'Verify every program in FILES (ELF objects, assembly, conformance .data, raw bytecode; folders are searched, globs expanded) as the Linux verifier would. Each file\'s programs are printed as lines (several files: under each file\'s name); --output table|csv|json, -e, -s, -f, --compare or --explain give veristat\'s per-program statistics instead.',
  usage: 'verify FILES|DIRS... [--section S] [--type T] [--json] [--log] [--report OUT.html] [--sarif OUT.sarif] [--kernel] [--domain kernel|tnum|interval] [--output text|table|csv|json] [-e SPEC] [-s SPEC] [-f FILTER] [--compare BASELINE.csv] [--jobs N]',
  options: [
    ...LOAD_OPTIONS,
    { name: 'log', kind: 'flag', description: 'print the verifier log in the Linux kernel\'s format (with `; source @ file:line` lines from BTF line info)' },
    { name: 'log-level', kind: 'string', valueName: 'N', choices: ['1', '2'], description: '2 also prints the full state before every instruction; implies --log' },
    { name: 'report', kind: 'string', valueName: 'OUT.html', description: 'write a self-contained HTML report (one input file)' },
    { name: 'sarif', kind: 'string', valueName: 'OUT.sarif', description: 'write SARIF 2.1.0 for CI / GitHub code scanning (one result per rejected program)' },
    { name: 'source-root', kind: 'string', valueName: 'DIR', description: 'SARIF: make source URIs relative to DIR (default: the git root of the first input)' },
    { name: 'kernel', kind: 'flag', description: 'also load each program into the running kernel and show both verdicts (batch: the kernel\'s columns beside)' },
    { name: 'domain', kind: 'string', valueName: 'D', choices: ['kernel', 'tnum', 'interval'], description: 'scalar domain (default kernel: tnum x s64/u64/s32/u32 ranges)' },
    { name: 'strategy', kind: 'string', valueName: 'S', choices: ['dfs', 'join'], description: 'exploration: dfs (kernel, default) or join (join + widening at loop heads)' },
    { name: 'deny-uninit-stack', kind: 'flag', description: 'reject reads of never-written stack, as the kernel does for unprivileged loaders (default: allowed, as for root)' },
    { name: 'allow-uninit-stack', kind: 'flag', description: 'the default (kept for older command lines): reads of never-written stack allowed, as for root' },
    { name: 'strict-alignment', kind: 'flag', description: 'every access naturally aligned, packet accesses with NET_IP_ALIGN (BPF_F_STRICT_ALIGNMENT; --kernel loads with it too)' },
    { name: 'output', short: 'o', kind: 'string', valueName: 'FMT', choices: ['text', 'table', 'csv', 'json'], description: 'text (per-program lines, default) or a batch table / csv / json in veristat\'s columns' },
    { name: 'emit', short: 'e', kind: 'list', valueName: 'SPEC', description: 'columns to print, veristat names (file,prog,verdict,duration,insns,states,peak_states,max_states_per_insn,mark_read; bpflab: error_kind,error_insn,message,section,prog_type,size,explain,kernel_*)' },
    { name: 'sort', short: 's', kind: 'list', valueName: 'SPEC', description: 'sort by these columns (NAME[:asc|:desc],...; default file,prog)' },
    { name: 'filter', short: 'f', kind: 'list', valueName: 'FILTER', description: 'veristat filters: GLOB, FILE_GLOB/PROG_GLOB, STAT<op>VALUE (e.g. insns>1000, verdict=failure), !EXPR to deny, @FILE' },
    { name: 'compare', kind: 'string', valueName: 'BASELINE.csv', description: 'compare with a baseline CSV (veristat\'s or --output csv): A/B/DIFF columns; exit 1 on any verdict MISMATCH. With one RESULTS.csv as input: compare two CSVs (veristat -C)' },
    { name: 'jobs', short: 'j', kind: 'number', valueName: 'N', description: 'verify files on N worker threads (batch output only)' },
    { name: 'explain', kind: 'flag', description: 'batch: add explain\'s class of each rejection (real, false_alarm, undecided)' },
    { name: 'no-progress', kind: 'flag', description: 'no progress bar on stderr (it is drawn only on a terminal)' },
  ],
  positionals: { min: 1, max: Number.MAX_SAFE_INTEGER, name: 'FILE' },
};

function summary(p: Program, r: VerifyResult): string {
  const head = `${p.name}${p.section ? ` (${p.section})` : ''} [${p.type}, ${p.insns.length} insns]`;
  const stats = `processed ${r.processed} insns, ${r.states} states, ${r.ms.toFixed(1)} ms`;
  if (r.verdict === 'accept') return `${head}: accept (${stats})`;
  return `${head}: reject at insn ${r.error!.pc}: ${r.error!.message} [${r.error!.kind}] (${stats})`;
}

function verifyOptionsFrom(args: ParsedArgs): VerifyOptions {
  return {
    domain: (args.strings.get('domain') ?? 'kernel') as DomainName,
    strategy: (args.strings.get('strategy') ?? 'dfs') as Strategy,
    allowUninitStack: !args.flags.has('deny-uninit-stack'),
    ...(args.flags.has('strict-alignment') && { strictAlignment: true }),
  };
}

/** Options that make a batch run (veristat-style output) rather than per-program lines. */
const BATCH_ONLY = ['emit', 'sort', 'filter', 'compare'] as const;

export const command: Command = {
  decl,
  async run(argv, io) {
    const args = parseArgs(decl, argv);
    const output = args.strings.get('output');
    if (output !== undefined && args.flags.has('json') && output !== 'json') throw new UsageError(`verify: --json and --output ${output} disagree (use one)`);
    const batchOpts = BATCH_ONLY.filter((o) => args.strings.has(o) || args.lists.has(o));
    const files = expandInputs(args.positionals);
    if (files.length === 0) throw new InputError('io', `${args.positionals.join(' ')}: no program files (${'.o .s .asm .data .cbpf'})`);
    const single = files.length === 1 && args.positionals.length === 1 && files[0] === args.positionals[0];
    const batch = (output !== undefined && output !== 'text') || batchOpts.length > 0 || args.flags.has('explain');
    if (!batch) {
      if (args.strings.has('jobs')) throw new UsageError('verify: --jobs runs the batch output on worker threads (add -o table, csv or json); the per-program lines are verified in this thread');
      if (args.strings.get('report') !== undefined && files.length !== 1) throw new UsageError('verify: --report writes the report of one file (got several)');
      return single ? verifyOne(files[0]!, args, io) : verifyEach(files, args, io);
    }
    for (const o of ['log', 'log-level', 'report'] as const) if (args.flags.has(o) || args.strings.has(o)) throw new UsageError(`verify: --${o} has no effect with --output ${output ?? 'table'}; use the text output for it`);
    return verifyBatch(files, output === 'json' || args.flags.has('json') ? 'json' : (output ?? 'table') as 'table' | 'csv', args, io);
  },
};

/** One file, SPEC section 4: per-program lines, or one JSON document. */
async function verifyOne(path: string, args: ParsedArgs, io: Io): Promise<number> {
  const res = await verifyFileText(path, args, io, false);
  if (args.flags.has('json')) io.out(JSON.stringify(res.json) + '\n');
  await writeSarifAndReport(args, io, path, res.collected);
  return res.rejected ? 1 : 0;
}

/** Several files in text mode: each file's lines under its name (or `{ files: [...] }` with --json). */
async function verifyEach(files: readonly string[], args: ParsedArgs, io: Io): Promise<number> {
  let rejected = 0;
  const docs: unknown[] = [];
  const collected: ProgramReportInput[] = [];
  for (const f of files) {
    if (!args.flags.has('json')) io.out(`${f}:\n`);
    try {
      const res = await verifyFileText(f, args, io, true);
      rejected += res.rejected;
      docs.push(res.json);
      collected.push(...res.collected);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      rejected++;
      if (args.flags.has('json')) docs.push({ file: f, error: e.message, programs: [] });
      else io.out(`  does not load: ${e.message}\n`);
    }
  }
  if (args.flags.has('json')) io.out(JSON.stringify({ files: docs }) + '\n');
  await writeSarifAndReport(args, io, files[0]!, collected);
  return rejected ? 1 : 0;
}

async function verifyFileText(path: string, args: ParsedArgs, io: Io, indent: boolean): Promise<{ rejected: number; json: unknown; collected: ProgramReportInput[] }> {
  const programs = await loadFile(path, io.readFile(path), loadOptionsFrom(args));
  const json = args.flags.has('json');
  const logLevel = args.strings.get('log-level');
  const withLog = args.flags.has('log') || logLevel !== undefined;
  const withKernel = args.flags.has('kernel');
  const vopts = verifyOptionsFrom(args);
  const wantReports = args.strings.get('report') !== undefined || args.strings.get('sarif') !== undefined;
  const collected: ProgramReportInput[] = [];
  const pad = indent ? '  ' : '';
  let rejected = 0;
  const out: unknown[] = [];
  // an HTML report alone: one verifier run records the states it shows (the renderer would verify again)
  const recordStates = args.strings.get('report') !== undefined && !args.strings.has('sarif') && !withLog
    ? (await import('../../report/states.js')).verifyWithStates : null;
  for (const p of programs) {
    // SARIF's code flow shows the state at each step of the failing path: keep them when it is asked for.
    const recorded = recordStates ? recordStates(p, vopts) : null;
    const r = recorded?.result ?? verify(p, { ...vopts, log: withLog, logLevel: logLevel === '2' ? 2 : 1, ...(args.strings.has('sarif') && { pathStates: true }) });
    if (r.verdict === 'reject') rejected++;
    const kv = withKernel ? await kernelVerdict(p, { strictAlignment: vopts.strictAlignment === true }) : undefined;
    if (wantReports) collected.push({ program: p, result: r, kernel: kv ?? null, ...(recorded && { states: recorded.states }) });
    if (json) {
      const kernel = kv && (kv.verdict === 'unavailable'
        ? { verdict: null, message: kv.message }
        : { verdict: kv.verdict, message: kv.message, ...(kv.processed !== undefined && { processed: kv.processed }), ...(kv.ms !== undefined && { ms: kv.ms }) });
      out.push({
        name: p.name, section: p.section, type: p.type, insns: p.insns.length, verdict: r.verdict, error: r.error,
        processed: r.processed, states: r.states, ms: Number(r.ms.toFixed(3)),
        ...(withLog && { log: r.log }),
        ...(kernel && { kernel }),
      });
    } else {
      // The program's line first: with several programs, each log then follows the line naming it.
      io.out(pad + summary(p, r) + '\n');
      // (the verifier's log carries the source lines itself, as the kernel's does)
      if (withLog) io.out(r.log ?? '');
      if (kv) {
        if (kv.verdict === 'unavailable') io.out(`${pad}  kernel: unavailable (${kv.message})\n`);
        else {
          const agree = kv.verdict === r.verdict ? 'agrees' : 'DISAGREES';
          io.out(`${pad}  kernel: ${kv.verdict}${kv.message ? `: ${kv.message}` : ''} (processed ${kv.processed ?? '?'} insns, ${kv.ms?.toFixed(1) ?? '?'} ms) -- ${agree}\n`);
        }
      }
    }
  }
  return { rejected, json: { file: path, programs: out }, collected };
}

async function writeSarifAndReport(args: ParsedArgs, io: Io, file: string, collected: ProgramReportInput[]): Promise<void> {
  const reportPath = args.strings.get('report');
  const sarifPath = args.strings.get('sarif');
  if (reportPath === undefined && sarifPath === undefined) return;
  // Loaded lazily: the report renderer (d3 bundle, templates) is not needed by plain runs.
  const { renderHtmlReport, renderSarif } = await import('../../report/index.js');
  const { defaultSourceRoot } = await import('../../report/sarif.js');
  const input = { file, programs: collected, version: '0.1.0' };
  if (reportPath !== undefined) io.writeFile(reportPath, renderHtmlReport(input, { verifyOptions: verifyOptionsFrom(args) }));
  if (sarifPath !== undefined) {
    const sourceRoot = args.strings.get('source-root') ?? defaultSourceRoot(file);
    io.writeFile(sarifPath, JSON.stringify(renderSarif(input, { sourceRoot }), null, 2) + '\n');
  }
}

/** A progress bar on the terminal (cli-progress), or nothing when stderr is not one. */
async function progressBar(io: Io, total: number, off: boolean): Promise<{ update(done: number, file: string): void; stop(): void }> {
  if (off || !io.tty || total < 2) return { update: () => {}, stop: () => {} };
  const { SingleBar, Presets } = (await import('cli-progress')).default;
  const bar = new SingleBar({ stream: io.tty, format: 'verify [{bar}] {value}/{total} files | {file}', hideCursor: true, clearOnComplete: true }, Presets.shades_classic);
  bar.start(total, 0, { file: '' });
  return { update: (done, file) => bar.update(done, { file }), stop: () => bar.stop() };
}

/** veristat-style batch: rows, filters, sort, table/csv/json, and the baseline comparison. */
async function verifyBatch(files: readonly string[], format: 'table' | 'csv' | 'json', args: ParsedArgs, io: Io): Promise<number> {
  const readText = (p: string): string => new TextDecoder().decode(io.readFile(p));
  const filters: Filter[] = (args.lists.get('filter') ?? []).flatMap((f) => parseFilter(f, readText));
  const withKernel = args.flags.has('kernel');
  const explain = args.flags.has('explain');
  const emit = args.lists.get('emit');
  const cols = emit ? parseEmit(emit) : defaultColumns({ kernel: withKernel, explain });
  const sort = args.lists.get('sort') ? parseSort(args.lists.get('sort')!) : DEFAULT_SORT;
  const comparePath = args.strings.get('compare');
  const baseline = comparePath !== undefined ? parseBaseline(comparePath, readText(comparePath)) : null;
  const jobs = Number(args.strings.get('jobs') ?? '1');
  // veristat -C: `--compare A.csv B.csv` compares two results files without verifying anything.
  const csvOnly = baseline !== null && files.length === 1 && files[0]!.endsWith('.csv');
  const bar = await progressBar(io, csvOnly ? 0 : files.length, args.flags.has('no-progress'));
  const res = csvOnly
    ? { rows: rowsFromCsv(files[0]!, readText(files[0]!)), workers: 1 }
    : await verifyFiles(files, {
      load: loadOptionsFrom(args), verify: verifyOptionsFrom(args), kernel: withKernel, explain, jobs,
      onProgress: (done, _total, file) => bar.update(done, file),
    });
  bar.stop();
  if (explain) await (await import('../../smt/explain/index.js')).closeExplain();
  if ('note' in res && res.note) io.err(`verify: ${res.note}\n`);
  const sarifPath = args.strings.get('sarif');
  if (sarifPath !== undefined && !csvOnly) await batchSarif(res.rows, args, io, files[0]!);
  if (baseline) {
    const cmp = compareWithBaseline(baseline, res.rows);
    const joined = selectJoined(cmp.joined, filters, sort);
    if (format === 'json') io.out(JSON.stringify({ baseline: baseline.path, rows: comparisonJson(joined, cols), mismatches: cmp.mismatches, missing: cmp.missing.length, added: cmp.added.length }) + '\n');
    else io.out(format === 'csv' ? comparisonCsv(joined, cols) : comparisonTable(joined, cols));
    for (const m of cmp.mismatches) io.err(`verify: verdict MISMATCH: ${m.file} ${m.program}: baseline ${m.baseline}, now ${m.now}\n`);
    if (cmp.missing.length) io.err(`verify: ${cmp.missing.length} program(s) of the baseline not found in this run\n`);
    if (format !== 'json') io.err(`verify: ${cmp.joined.length} programs compared, ${cmp.mismatches.length} verdict mismatch(es)\n`);
    return cmp.mismatches.length ? 1 : 0;
  }
  const rows = sortRows(filterRows(res.rows, filters), sort, (r: BatchRow, c) => c.get(r));
  if (format === 'json') io.out(JSON.stringify({ files: files.length, programs: rows.length, rows: rowsJson(rows, cols) }) + '\n');
  else if (format === 'csv') io.out(rowsCsv(rows, cols));
  else {
    io.out(rowsTable(rows, cols));
    const failed = rows.filter((r) => r.verdict === 'failure').length;
    io.out(`\nDone. Processed ${files.length} files, ${rows.length} programs: ${rows.length - failed} success, ${failed} failure.\n`);
  }
  return rows.some((r) => r.verdict === 'failure') ? 1 : 0;
}

/** SARIF of a batch run: the rejected programs re-verified with a log (for the failing path's states). */
async function batchSarif(rows: readonly BatchRow[], args: ParsedArgs, io: Io, first: string): Promise<void> {
  const failing = new Map<string, Set<string>>();
  for (const r of rows) if (r.verdict === 'failure' && r.errorKind !== 'load') (failing.get(r.file) ?? failing.set(r.file, new Set()).get(r.file)!).add(r.program);
  const collected: ProgramReportInput[] = [];
  const vopts = verifyOptionsFrom(args);
  for (const [file, names] of failing) {
    const programs = await loadFile(file, io.readFile(file), loadOptionsFrom(args));
    for (const p of programs) if (names.has(p.name)) collected.push({ program: p.file ? p : makeProgram({ ...p, file }), result: verify(p, { ...vopts, log: true }) });
  }
  await writeSarifAndReport(args, io, first, collected);
}

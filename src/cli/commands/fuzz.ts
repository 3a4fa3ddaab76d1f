/**
 * `bpflab fuzz [--seconds N] [--runs N] [--workers N] [--seed S] [--oracle LIST] [--out DIR] [--no-guided | --corpus-dir DIR] [--json]`:
 * a fuzzing campaign (SPEC section 1), coverage-guided by default (src/fuzz/guided). Progress on stderr; every new finding is minimised and
 * written into DIR (default findings/) as a corpus entry `<name>.s` + `<name>.expect.json`.
 * Exit 1 when there is a finding, 0 otherwise, 2 on bad usage.
 */
import type { CampaignStats, FoundBug } from '../../fuzz/campaign.js';
import { ORACLE_NAMES, type OracleName } from '../../fuzz/finding.js';
import { FindingWriter } from '../../fuzz/output.js';
import { writeFinding } from '../../fuzz/record.js';
import { runParallel } from '../../fuzz/parallel.js';
import { type JobResult, type JobSpec, campaignJobs, mergeJobs, runJob } from '../../fuzz/job.js';
import { isOracleName } from '../../fuzz/setup.js';
import { withKernelVerdict } from '../../fuzz/oracles/kernel.js';
import { UsageError, numberOption, parseArgs, type CommandDecl } from '../args.js';
import type { Command, Io } from '../io.js';

const decl: CommandDecl = {
  name: 'fuzz',
  summary: 'Fuzz the verifier and the engines: generate programs and inputs, check them with the oracles\n' +
    '(sanitize: accepted => no fault on the VM; embed: concrete states lie in the abstract ones; jit: VM = JIT;\n' +
    'kernel: verdicts and results vs the running kernel), shrink and deduplicate findings, write them to DIR.',
  usage: 'fuzz [--seconds N] [--runs N] [--workers N] [--seed S] [--oracle LIST] [--out DIR] [--no-guided | --corpus-dir DIR] [--queue redis://HOST:PORT] [--jobs N] [--json]',
  options: [
    { name: 'seconds', kind: 'number', valueName: 'N', description: 'stop after N seconds (default 60 unless --runs is given)' },
    { name: 'runs', kind: 'number', valueName: 'N', description: 'stop after N programs' },
    { name: 'workers', kind: 'number', valueName: 'N', description: 'worker threads (default 1)' },
    { name: 'seed', kind: 'string', valueName: 'S', description: 'integer seed, to replay a campaign (default: from the clock, printed)' },
    { name: 'oracle', kind: 'list', valueName: 'LIST', description: `oracles, comma-separated or repeated (default: ${ORACLE_NAMES.join(',')})` },
    { name: 'out', kind: 'string', valueName: 'DIR', description: 'where minimised findings go (default findings/)' },
    { name: 'program-seconds', kind: 'number', valueName: 'N', description: 'time budget for checking one program with every oracle (default 30): past it the case is cut, counted as over budget and recorded as a slow finding' },
    { name: 'shrink-seconds', kind: 'number', valueName: 'N', description: 'time budget for minimising one finding (default 30)' },
    { name: 'shrink-steps', kind: 'number', valueName: 'N', description: 'candidates tried when minimising one finding (default 2000; deterministic, unlike the time budget)' },
    { name: 'no-seeds', kind: 'flag', description: 'do not mutate corpus/ and examples/ programs' },
    { name: 'guided', kind: 'flag', description: 'coverage-guided generation (the default): half the programs are mutants of a corpus of programs that reached new verifier coverage' },
    { name: 'no-guided', kind: 'flag', description: 'structured, mutational and raw generators only, no coverage guidance' },
    { name: 'corpus-dir', kind: 'string', valueName: 'DIR', description: 'also seed the guided corpus from DIR/*.s and write the programs that join it there' },
    { name: 'queue', kind: 'string', valueName: 'redis://HOST:PORT', description: 'coordinate a campaign of seed-range jobs on a BullMQ queue; `bpflab fuzz-worker` processes run them' },
    { name: 'jobs', kind: 'number', valueName: 'N', description: 'a campaign of N seed-range jobs of --job-seeds x --batch programs (default with --queue: enough for --runs); without --queue they run here one after another, with the same result (--seconds and --workers do not apply)' },
    { name: 'job-seeds', kind: 'number', valueName: 'N', description: 'fast-check runs (seeds) per job (default 4)' },
    { name: 'batch', kind: 'number', valueName: 'N', description: 'programs per fast-check run (default 25)' },
    { name: 'planted-bug', kind: 'string', valueName: 'BUG', choices: ['jgt-fall-as-jlt'], description: 'TEST ONLY: fuzz a verifier with this deliberate bug (to check that campaigns find it)' },
  ],
  positionals: { min: 0, max: 0, name: '' },
};

function parseOracles(lists: readonly string[] | undefined): OracleName[] {
  if (!lists) return [...ORACLE_NAMES];
  const out: OracleName[] = [];
  for (const item of lists.flatMap((l) => l.split(','))) {
    const n = item.trim();
    if (!n) continue;
    if (!isOracleName(n)) throw new UsageError(`fuzz: unknown oracle '${n}' (have: ${ORACLE_NAMES.join(', ')})`);
    if (!out.includes(n)) out.push(n);
  }
  if (out.length === 0) throw new UsageError('fuzz: --oracle needs at least one oracle');
  return out;
}

const rate = (s: CampaignStats): number => (s.seconds > 0 ? s.runs / s.seconds : 0);
const pct = (a: number, b: number): string => (b > 0 ? `${((100 * a) / b).toFixed(0)}%` : '-');

export const command: Command = {
  decl,
  async run(argv, io) {
    const args = parseArgs(decl, argv);
    const json = args.flags.has('json');
    const seedText = args.strings.get('seed');
    if (seedText !== undefined && !/^-?\d+$/.test(seedText)) throw new UsageError(`fuzz: --seed needs an integer (got '${seedText}')`);
    const seed = seedText !== undefined ? Number(BigInt.asIntN(32, BigInt(seedText))) : (Date.now() ^ (process.pid << 16)) | 0;
    const runs = args.strings.has('runs') ? numberOption(args, 'runs', 0) : undefined;
    const seconds = args.strings.has('seconds') ? numberOption(args, 'seconds', 0) : runs === undefined ? 60 : undefined;
    const workers = numberOption(args, 'workers', 1);
    if (workers < 1) throw new UsageError('fuzz: --workers must be at least 1');
    const shrinkSeconds = numberOption(args, 'shrink-seconds', 30);
    const programSeconds = args.strings.has('program-seconds') ? numberOption(args, 'program-seconds', 0) : undefined;
    if (programSeconds !== undefined && programSeconds <= 0) throw new UsageError('fuzz: --program-seconds must be positive');
    const shrinkSteps = args.strings.has('shrink-steps') ? numberOption(args, 'shrink-steps', 0) : undefined;
    const oracles = parseOracles(args.lists.get('oracle'));
    const dir = args.strings.get('out') ?? 'findings';

    const queueUrl = args.strings.get('queue');
    const batch = numberOption(args, 'batch', 25);
    const jobSeeds = numberOption(args, 'job-seeds', 4);
    if (batch < 1 || jobSeeds < 1) throw new UsageError('fuzz: --batch and --job-seeds must be at least 1');
    let jobCount = args.strings.has('jobs') ? numberOption(args, 'jobs', 0) : undefined;
    if (queueUrl !== undefined && jobCount === undefined) {
      if (runs === undefined) throw new UsageError('fuzz: --queue needs --runs N or --jobs N (a queue campaign is a fixed set of seed-range jobs)');
      jobCount = Math.ceil(runs / (batch * jobSeeds));
    }
    if (jobCount !== undefined) {
      // A job campaign's size is its jobs (each a fixed seed range); options that would bound or spread it otherwise are refused, not ignored.
      const ignored = [args.strings.has('jobs') && runs !== undefined && '--runs', args.strings.has('seconds') && '--seconds', args.strings.has('workers') && '--workers'].filter((o) => o !== false);
      if (ignored.length) throw new UsageError(`fuzz: ${ignored.join(' and ')} cannot go with ${args.strings.has('jobs') ? '--jobs' : '--queue'} (a campaign of seed-range jobs is ${jobCount} x ${jobSeeds} x ${batch} programs, one job at a time per process)`);
    }
    if (queueUrl !== undefined && !/^rediss?:\/\/[^/\s]+/.test(queueUrl)) throw new UsageError(`fuzz: --queue ${queueUrl}: expected redis://HOST:PORT`);
    const plantedBug = args.strings.get('planted-bug') as JobSpec['plantedBug'];
    if (args.flags.has('guided') && args.flags.has('no-guided')) throw new UsageError('fuzz: --guided and --no-guided exclude each other');
    const guided = !args.flags.has('no-guided');
    const corpusDir = args.strings.get('corpus-dir');
    if (corpusDir !== undefined && !guided) throw new UsageError('fuzz: --corpus-dir needs guided generation (drop --no-guided)');
    if (corpusDir !== undefined && jobCount !== undefined) throw new UsageError('fuzz: --corpus-dir does not go with --jobs or --queue (a job depends on its spec alone)');
    const jobSpecs = jobCount === undefined ? null : campaignJobs({
      seed, jobs: jobCount, seedsPerJob: jobSeeds, batch, oracles, useSeeds: !args.flags.has('no-seeds'), ...(guided && { guided }),
      shrinkSteps: shrinkSteps ?? 2000, minimiseSteps: Math.min(400, shrinkSteps ?? 400), shrinkSeconds, ...(plantedBug && { plantedBug }),
    });
    if (plantedBug && !jobSpecs) throw new UsageError('fuzz: --planted-bug needs --jobs or --queue');

    // Checked before the campaign: a folder that cannot take findings is a usage error, not a lost finding later.
    const writer = new FindingWriter(dir);
    io.err(`fuzz: seed ${seed}, oracles ${oracles.join(',')}, ${guided ? 'coverage-guided, ' : ''}` + (jobSpecs
      ? `${jobSpecs.length} jobs of ${jobSeeds} x ${batch} programs ${queueUrl !== undefined ? `on the queue ${queueUrl}` : 'in this process'}\n`
      : `${workers} worker${workers === 1 ? '' : 's'}, ` +
        `${seconds !== undefined ? `${seconds} s` : ''}${seconds !== undefined && runs !== undefined ? ' / ' : ''}${runs !== undefined ? `${runs} programs` : ''}\n`));
    const written: { bug: FoundBug; name: string; files: string[] }[] = [];
    let lastLine = 0;
    let unconfirmed = 0;
    // SIGINT/SIGTERM end the campaign (shrinking included) and still print the summary; a second signal kills.
    let stopped: string | null = null;
    const onSignal = (sig: NodeJS.Signals): void => {
      if (stopped !== null) process.exit(130);
      stopped = sig;
      io.err(`fuzz: ${sig}: stopping, writing the summary\n`);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const record = (bug: FoundBug): void => {
      const f = withKernelVerdict(bug.finding);
      bug.finding = f;
      const w = writeFinding(writer, bug, (m) => io.err(`${m}\n`));
      if (!w) return;
      // A slower case of a slow kind replaces the entry written for it (written first, then the old one removed).
      const prev = written.findIndex((x) => x.bug.signature === bug.signature);
      if (prev >= 0) {
        writer.remove(written[prev]!.files);
        io.err(`fuzz: finding ${w.name} replaces ${written[prev]!.name} (a slower case): ${f.message}\n`);
        written[prev] = { bug, ...w };
        return;
      }
      written.push({ bug, ...w });
      io.err(`fuzz: finding ${w.name}: ${f.message} (${bug.originalInsns} -> ${f.program.insns.length} insns)\n`);
    };
    const progressLine = (s: CampaignStats, extra = ''): void => {
      const now = Date.now();
      if (now - lastLine < 2000) return;
      lastLine = now;
      io.err(`fuzz: ${s.seconds.toFixed(0)} s, ${s.runs} programs (${rate(s).toFixed(0)}/s), accepted ${pct(s.accepted, s.runs)}, findings ${written.length || s.findings} (${s.duplicates} duplicates)${s.overBudget ? `, ${s.overBudget} over budget` : ''}` +
        `${s.coverage ? `, coverage ${s.coverage.features}` : ''}${s.shrinking ? `, minimising ${s.shrinking.signature} (${s.shrinking.steps} steps)` : ''}${extra}\n`);
    };
    let res: { stats: CampaignStats; found: FoundBug[]; notes: string[]; workers: number };
    try {
      if (jobSpecs) {
        // Seed-range jobs: on the queue, or here one after the other -- the same merged result either way.
        let merged: { stats: CampaignStats; found: FoundBug[]; notes: string[] };
        if (queueUrl !== undefined) {
          // Loaded only here: BullMQ and ioredis are for queue campaigns.
          const { runQueueCampaign } = await import('../../fuzz/queue.js');
          try {
            merged = await runQueueCampaign({
              url: queueUrl, jobs: jobSpecs, shouldStop: () => stopped !== null,
              onProgress: (s) => progressLine(s, `, jobs ${s.jobsDone}/${s.jobs}`),
            });
          } catch (e) {
            io.err(`fuzz: the queue campaign on ${queueUrl} failed: ${(e as Error).message.split('\n')[0]}\n`);
            return 2;
          }
        } else {
          const results: JobResult[] = [];
          const t0 = Date.now();
          for (const spec of jobSpecs) {
            if (stopped !== null) break;
            const done = mergeJobs(results).stats;
            results.push(await runJob(spec, (s) => progressLine({ ...s, runs: done.runs + s.runs, accepted: done.accepted + s.accepted })));
          }
          merged = mergeJobs(results);
          merged.stats.seconds = (Date.now() - t0) / 1000; // one after the other: the wall time, not the longest job
        }
        for (const n of merged.notes) if (n.includes(': skipped (')) io.err(`fuzz: oracle ${n}\n`);
        merged.notes = merged.notes.filter((n) => !n.includes(': skipped ('));
        for (const b of merged.found) record(b);
        unconfirmed = merged.stats.unconfirmed;
        res = { ...merged, workers: 1 };
      } else {
        res = await runParallel({
          workers, seed, oracles, shrinkSeconds, useSeeds: !args.flags.has('no-seeds'), guided, ...(corpusDir !== undefined && { corpusDir }),
          ...(seconds !== undefined && { seconds }), ...(runs !== undefined && { runs }),
          ...(shrinkSteps !== undefined && { shrinkSteps }), ...(programSeconds !== undefined && { programSeconds }),
          shouldStop: () => stopped !== null,
          onSkipped: (name, reason) => io.err(`fuzz: oracle ${name} skipped: ${reason}\n`),
          onUnconfirmed: (f, why) => { unconfirmed++; io.err(`fuzz: dropped a ${f.oracle} ${f.kind} finding: ${why}\n`); },
          onProgress: (s) => progressLine(s),
          onFinding: record,
        });
      }
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    const s = res.stats;
    for (const n of res.notes) if (!n.includes(': skipped (')) io.err(`fuzz: note: ${n}\n`);
    const perCore = rate(s) / res.workers;
    if (json) {
      io.out(JSON.stringify({
        seed, seconds: Number(s.seconds.toFixed(3)), runs: s.runs, accepted: s.accepted,
        acceptanceRate: s.runs > 0 ? Number((s.accepted / s.runs).toFixed(4)) : null,
        programsPerSecond: Number(rate(s).toFixed(2)), programsPerSecondPerCore: Number(perCore.toFixed(2)), workers: res.workers,
        oracles, guided, ...(s.coverage && { coverage: s.coverage }), notes: res.notes, duplicates: s.duplicates, overBudget: s.overBudget ?? 0, unconfirmed, shrinkSeconds: Number(s.shrinkSeconds.toFixed(3)), out: dir,
        ...(stopped !== null && { stoppedBy: stopped }),
        findings: written.map(({ bug, name, files }) => ({
          name, signature: bug.signature, oracle: bug.finding.oracle, kind: bug.finding.kind, pc: bug.finding.pc, message: bug.finding.message,
          verdict: bug.finding.verdict, ...(bug.finding.kernel && { kernel: bug.finding.kernel }),
          insns: bug.finding.program.insns.length, originalInsns: bug.originalInsns, shrinkSteps: bug.shrinkSteps, seed: bug.seed,
          ...(bug.shrinkCut && { shrinkCut: bug.shrinkCut }), ...(bug.slowMs !== undefined && { slowMs: bug.slowMs }), files,
        })),
      }) + '\n');
    } else {
      io.out(`${s.runs} programs in ${s.seconds.toFixed(1)} s (${rate(s).toFixed(1)}/s, ${perCore.toFixed(1)}/s per core), accepted ${pct(s.accepted, s.runs)}, ` +
        `${written.length} finding${written.length === 1 ? '' : 's'}${s.duplicates ? ` (${s.duplicates} duplicates)` : ''}` +
        `${unconfirmed ? `, ${unconfirmed} dropped by the re-check` : ''}${s.overBudget ? `, ${s.overBudget} over the per-program budget` : ''}${stopped !== null ? ` (stopped by ${stopped})` : ''}\n`);
      if (s.coverage) io.out(`coverage: ${s.coverage.features} verifier features, ${s.coverage.rejections} distinct rejection messages${guided ? `, corpus of ${s.coverage.corpus} programs` : ''}\n`);
      for (const w of written) io.out(`  ${w.files[w.files.length - 1]}: ${w.bug.finding.message}\n`);
    }
    return written.length > 0 ? 1 : 0;
  },
};

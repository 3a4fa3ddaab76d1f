/**
 * Fuzzing benchmark (SPEC section 5): programs per second per core, end to end -- generate a
 * case, verify it, run accepted programs on the checked VM (the sanitize oracle) -- measured in
 * CPU time of this process so that other load on the machine does not count. Anchor: the running
 * kernel's BPF_PROG_LOAD (verifier) on the same programs, when available.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Program } from '../isa/program.js';
import { caseArb } from '../fuzz/campaign.js';
import { sanitizeOracle } from '../fuzz/oracles/sanitize.js';
import { ORACLE_NAMES } from '../fuzz/finding.js';
import { runParallel } from '../fuzz/parallel.js';
import { runCampaign } from '../fuzz/campaign.js';
import { loadSeedPrograms } from '../fuzz/generators/seeds.js';
import { campaignGeneration } from '../fuzz/guided/generation.js';
import { buildOracles } from '../fuzz/setup.js';
import { FUZZ_VERIFY_OPTIONS, type FuzzCase } from '../fuzz/oracles/types.js';
import { verify, type VerifyResult } from '../verifier/index.js';
import type { BenchRow, BenchSuite } from './types.js';

const cpuSeconds = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

/**
 * A campaign's shouldStop (polled once per case) for a CPU budget from `c0`: reads the process CPU
 * clock at most every 20 ms of wall time. process.cpuUsage is getrusage over every thread of the
 * process, a few percent of the guided rows' time when read once per program.
 */
function cpuBudgetSpent(c0: number, budget: number): () => boolean {
  let next = 0;
  let spent = false;
  return () => {
    if (spent) return true;
    const now = performance.now();
    if (now < next) return false;
    next = now + 20;
    return (spent = cpuSeconds() - c0 > budget);
  };
}

async function kernelRate(programs: readonly Program[]): Promise<{ rate: number } | { why: string }> {
  try {
    const k = await import('../kernel/index.js');
    const avail = k.kernelAvailable();
    if (!avail.ok) return { why: avail.reason };
    const c0 = cpuSeconds();
    const t0 = performance.now();
    for (const p of programs) {
      const r = k.progLoad(p, { logLevel: 0 });
      if (r.fd !== null) k.closeFd(r.fd);
    }
    // The kernel verifies in the syscall: system time is ours, so CPU time covers it.
    const cpu = cpuSeconds() - c0 || (performance.now() - t0) / 1000;
    return { rate: programs.length / cpu };
  } catch (e) {
    return { why: (e as Error).message.split('\n')[0] ?? 'kernel unavailable' };
  }
}

/**
 * Each oracle alone, end to end (generate, verify, check) over the same structured cases: CPU
 * time of this thread, as programs/s/core, beside the kernel anchor. Every oracle is timed the
 * same way: first `warmup` CPU seconds untimed (V8 compiles its own code -- sanitize's is already
 * hot from the end-to-end row, the others' was not, and their first seconds ran at half speed),
 * then `budget` seconds in ROUNDS slices taken in turn, forwards then backwards, so that drift in
 * the machine's load and the heap falls on all oracles alike.
 */
const ROUNDS = 4;
/** The warm-up's cases, apart from the timed ones (which start at seed 1 for every oracle). */
const WARMUP_SEED = 1_000_000;

async function oracleRows(budget: number, warmup: number, kernelRate: number | undefined): Promise<BenchRow[]> {
  const setup = await buildOracles([...ORACLE_NAMES]);
  const arb = caseArb({ structured: 1 });
  const timed = ORACLE_NAMES.flatMap((name) => {
    const oracle = setup.oracles.find((o) => o.name === name);
    return oracle ? [{ name, oracle, runs: 0, cpu: 0, seed: 1 }] : [];
  });
  /** Cases on `o` until `seconds` of CPU are spent, from seed `seed`; returns the cases and the next seed. */
  const spend = (o: (typeof timed)[number]['oracle'], seconds: number, seed: number): { runs: number; cpu: number; seed: number } => {
    let runs = 0;
    const c0 = cpuSeconds();
    while (cpuSeconds() - c0 < seconds) {
      for (const c of fc.sample(arb, { numRuns: 10, seed: seed++ }) as FuzzCase[]) {
        let v: VerifyResult | undefined;
        o.check(c, { verdict: () => (v ??= setup.verify(c.program, FUZZ_VERIFY_OPTIONS)) });
        runs++;
      }
    }
    return { runs, cpu: cpuSeconds() - c0, seed };
  };
  for (const t of timed) spend(t.oracle, warmup, WARMUP_SEED);
  for (let round = 0; round < ROUNDS; round++) {
    for (const t of round % 2 === 0 ? timed : [...timed].reverse()) {
      const r = spend(t.oracle, budget / ROUNDS, t.seed);
      t.runs += r.runs;
      t.cpu += r.cpu;
      t.seed = r.seed;
    }
  }
  const rows: BenchRow[] = [];
  for (const name of ORACLE_NAMES) {
    const t = timed.find((x) => x.name === name);
    if (!t) {
      rows.push({ group: 'fuzz', name: `oracle ${name}`, value: 0, unit: 'programs/s/core', note: `skipped: ${setup.skipped.find((x) => x.name === name)?.reason ?? 'unavailable'}` });
      continue;
    }
    const rate = t.runs / t.cpu;
    const r: BenchRow = { group: 'fuzz', name: `oracle ${name} (generate, verify, check)`, value: rate, unit: 'programs/s/core', note: `warm (${warmup} s CPU first), ${t.runs} programs in ${ROUNDS} slices taken in turn` };
    if (kernelRate !== undefined) { r.anchor = 'kernel BPF_PROG_LOAD, same programs'; r.anchorValue = kernelRate; r.ratio = rate / kernelRate; }
    rows.push(r);
  }
  return rows;
}

/** CPU seconds of this process's main thread (Linux: /proc/self/task/<pid>/stat), or null where unavailable. */
function mainThreadCpu(): number | null {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in USER_HZ ticks
  } catch {
    return null;
  }
}

/** CPU seconds of this process, user time alone. */
const userSeconds = (): number => process.cpuUsage().user / 1e6;

/** A campaign's progress: wall seconds since its start, programs checked, process CPU seconds. */
interface ProgressPoint { t: number; runs: number; cpu: number }

interface ScalingRun {
  runs: number;
  workers: number;
  wall: number;
  cpu: number;
  user: number;
  /** CPU seconds of this thread (null where /proc is unavailable). */
  main: number | null;
  /** The window's second half (warm-up excluded): programs, wall and CPU seconds, from the progress reports. */
  late: { runs: number; wall: number; cpu: number } | null;
}

/**
 * A guided sanitize campaign (the `bpflab fuzz` default) run for `seconds` with 1 and with 2
 * worker threads, start-up included -- the throughput a user sees from `bpflab fuzz --seconds N
 * --workers W` (one worker runs in the CLI's main thread: a fresh isolate too). Worker threads
 * even for one, so that both start cold whatever this process ran before, and the other rows
 * do not inherit the state of long campaigns; measured last. The window is `seconds` of
 * process CPU time per worker (on two idle cores, `seconds` of wall time). Every worker pays a
 * warm-up (module loading, then V8 compiling the verifier while it runs slowly), so the window
 * must be long against it (BPFLAB_BENCH_FUZZ_SCALING_SECONDS, default 20; 3 with --quick; the
 * CLI's default campaign is 60 s); the second half of each window is reported too, as the
 * steady state. The wall-time ratios mean something only on two otherwise idle cores; the CPU
 * estimate holds on a loaded machine: on two dedicated cores one worker takes the longer of its
 * thread's CPU time and half the process's (V8's GC and compiler threads use the other core),
 * two workers half the process's CPU time.
 */
async function workerScaling(seconds: number): Promise<BenchRow[]> {
  /** In worker threads (`threads`: even one worker in a fresh isolate), or in this thread. */
  const measure = async (workers: number, threads: boolean): Promise<ScalingRun> => {
    const points: ProgressPoint[] = [];
    const m0 = mainThreadCpu(), c0 = cpuSeconds(), u0 = userSeconds(), t0 = performance.now();
    // The window is `seconds` of CPU per worker (what it gets from a core of its own), so that on a
    // loaded machine each worker still gets past its warm-up as far as on an idle one; wall time caps it.
    const r = await runParallel({
      workers, threads, seed: 1, seconds: 10 * seconds, oracles: ['sanitize'], guided: true, useSeeds: true,
      shouldStop: () => cpuSeconds() - c0 >= seconds * workers,
      onProgress: (st) => points.push({ t: (performance.now() - t0) / 1000, runs: st.runs, cpu: cpuSeconds() - c0 }),
    });
    const m1 = mainThreadCpu();
    const wall = (performance.now() - t0) / 1000, cpu = cpuSeconds() - c0;
    const end: ProgressPoint = { t: wall, runs: r.stats.runs, cpu };
    const mid = points.find((p) => p.t >= wall / 2);
    const late = mid && end.runs > mid.runs ? { runs: end.runs - mid.runs, wall: end.t - mid.t, cpu: end.cpu - mid.cpu } : null;
    const main = threads ? r.workerThreadCpu ?? null : m0 !== null && m1 !== null ? m1 - m0 : null;
    return { runs: r.stats.runs, workers: r.workers, wall, cpu, user: userSeconds() - u0, main, late };
  };
  const one = await measure(1, true);
  const two = await measure(2, true);
  // The same campaign in this thread, warm from the other rows: what a program costs once V8 has
  // compiled the hot code -- the difference is the warm-up every worker thread pays on its own.
  const warm = await measure(1, false);
  if (two.workers < 2 || one.workers < 1) return [{ group: 'fuzz', name: 'worker scaling (2 workers / 1)', value: 1, unit: 'x', note: 'no compiled worker (run from dist/)' }];
  const ms = (cpu: number, runs: number): string => `${((1000 * cpu) / Math.max(1, runs)).toFixed(2)} ms`;
  const rate = (x: { runs: number; wall: number }): number => x.runs / Math.max(1e-9, x.wall);
  const rows: BenchRow[] = [{
    group: 'fuzz', name: `worker scaling (2 worker threads / 1, guided sanitize, ${seconds} s, wall)`, value: rate(two) / rate(one), unit: 'x',
    note: `${one.runs} vs ${two.runs} programs in ${one.wall.toFixed(1)} / ${two.wall.toFixed(1)} s wall with start-up (needs 2 free cores to mean anything)`,
  }];
  if (one.late && two.late) {
    rows.push({
      group: 'fuzz', name: 'worker scaling, second half of the window (warm), wall', value: rate(two.late) / rate(one.late), unit: 'x',
      note: `${rate(one.late).toFixed(0)} vs ${rate(two.late).toFixed(0)} programs/s; CPU per program ${ms(one.late.cpu, one.late.runs)} with 1 worker, ${ms(two.late.cpu, two.late.runs)} with 2`,
    });
  }
  rows.push({
    group: 'fuzz', name: 'user CPU per program, 1 / 2 workers (whole window)', value: (1000 * one.user) / Math.max(1, one.runs), unit: 'ms',
    note: `${ms(two.user, two.runs)} with 2 workers; process CPU (user + system, all threads) ${ms(one.cpu, one.runs)} / ${ms(two.cpu, two.runs)}`,
  });
  if (one.main !== null) {
    // On 2 dedicated cores: one worker runs as fast as its thread (its helpers use the other core), two share both cores.
    const oneWall = Math.max(one.main, one.cpu / 2) / Math.max(1, one.runs);
    const twoWall = two.cpu / 2 / Math.max(1, two.runs);
    rows.push({
      group: 'fuzz', name: 'worker scaling (2 workers / 1, guided sanitize, from CPU time)', value: oneWall / twoWall, unit: 'x',
      note: `on 2 dedicated cores; CPU per program ${ms(one.cpu, one.runs)} (its thread ${ms(one.main, one.runs)}) with 1 worker, ${ms(two.cpu, two.runs)} with 2`,
    });
    // What bounds the scaling: V8's helper threads (parallel/concurrent GC, optimising compiler) run on
    // the second core for free with one worker, and take it from the other worker with two.
    rows.push({
      group: 'fuzz', name: 'V8 helper-thread CPU (GC, compiler) per worker-thread CPU, 1 worker', value: (100 * (one.cpu - one.main)) / Math.max(1e-9, one.main), unit: '%',
      note: `2 workers scale at most about 2 / (1 + this share); ${one.runs} programs with start-up`,
    });
    if (warm.main !== null) {
      const share = (warm.cpu - warm.main) / Math.max(1e-9, warm.main);
      rows.push({
        group: 'fuzz', name: 'V8 helper-thread CPU per worker-thread CPU, 1 worker, warm', value: 100 * share, unit: '%',
        note: `the same campaign again in the warm thread (GC and re-optimisation only): 2 workers scale at most ${(2 / (1 + share)).toFixed(2)}x in steady state`,
      });
      rows.push({
        group: 'fuzz', name: 'warm-up per worker thread (start-up, cold code, V8 compiler), CPU', value: one.cpu - (one.runs * warm.cpu) / Math.max(1, warm.runs), unit: 's',
        note: `${ms(one.cpu, one.runs)} per program cold vs ${ms(warm.cpu, warm.runs)} warm (${one.runs} and ${warm.runs} programs); every worker pays it`,
      });
    }
  }
  return rows;
}

/**
 * Coverage reached by a sanitize campaign in the same CPU time with and without guidance (same
 * seed, same seed programs): distinct verifier features and rejection messages, and the guided
 * campaign's throughput. The CPU budget is BPFLAB_BENCH_FUZZ_COVERAGE_SECONDS (default 60; 600
 * gives the 10-minute figure; 4 with --quick).
 */
async function coverageRows(budget: number, kernelRate: number | undefined, progress: (l: string) => void): Promise<BenchRow[]> {
  const seeds = await loadSeedPrograms();
  const out: { features: number; rejections: number; runs: number; accepted: number; cpu: number }[] = [];
  for (const guided of [false, true]) {
    const setup = await buildOracles(['sanitize']);
    const { arb, coverage } = await campaignGeneration({ verify: setup.verify, seeds, guided });
    const c0 = cpuSeconds();
    const { stats } = await runCampaign({
      oracles: setup.oracles, verify: setup.verify, seed: 1, arb, coverage, shrinkSteps: 500, shrinkSeconds: 10,
      shouldStop: cpuBudgetSpent(c0, budget),
    });
    const cpu = cpuSeconds() - c0;
    const c = coverage.stats();
    out.push({ features: c.features, rejections: c.rejections, runs: stats.runs, accepted: stats.accepted, cpu });
    progress(`fuzz coverage (${guided ? 'guided' : 'structured only'}): ${stats.runs} programs in ${cpu.toFixed(0)} s CPU, ${c.features} features, ${c.rejections} rejection messages`);
  }
  const [plain, guided] = out as [typeof out[0], typeof out[0]];
  const desc = (x: typeof plain): string => `${x.runs} programs, ${((100 * x.accepted) / Math.max(1, x.runs)).toFixed(0)}% accepted, ${x.rejections} distinct rejection messages`;
  const anchor = `structured-only campaign, same ${budget} s CPU and seed`;
  const rate = guided.runs / guided.cpu;
  const rateRow: BenchRow = { group: 'fuzz', name: 'oracle sanitize, guided generation', value: rate, unit: 'programs/s/core' };
  if (kernelRate !== undefined) { rateRow.anchor = 'kernel BPF_PROG_LOAD, structured programs'; rateRow.anchorValue = kernelRate; rateRow.ratio = rate / kernelRate; }
  return [
    { group: 'fuzz', name: `coverage in ${budget} s CPU, structured only (sanitize)`, value: plain.features, unit: 'verifier features', note: desc(plain) },
    { group: 'fuzz', name: `coverage in ${budget} s CPU, guided (sanitize)`, value: guided.features, unit: 'verifier features', anchor, anchorValue: plain.features, ratio: guided.features / plain.features, note: desc(guided) },
    { group: 'fuzz', name: `rejection messages in ${budget} s CPU, guided (sanitize)`, value: guided.rejections, unit: 'messages', anchor, anchorValue: plain.rejections, ratio: guided.rejections / Math.max(1, plain.rejections) },
    rateRow,
  ];
}

export const suite: BenchSuite = async (opts) => {
  const budget = opts.quick ? 1.5 : 8; // CPU seconds
  const arb = caseArb({ structured: 1 });
  const oracle = sanitizeOracle();
  const programs: Program[] = [];
  let runs = 0;
  let accepted = 0;
  let seed = 1;
  const c0 = cpuSeconds();
  const t0 = performance.now();
  while (cpuSeconds() - c0 < budget) {
    for (const c of fc.sample(arb, { numRuns: 10, seed: seed++ }) as FuzzCase[]) {
      const v = verify(c.program, FUZZ_VERIFY_OPTIONS);
      oracle.check(c, { verdict: () => v });
      runs++;
      if (v.verdict === 'accept') accepted++;
      programs.push(c.program);
    }
  }
  const cpu = cpuSeconds() - c0;
  // The verifier's share: the same programs verified again alone (timing each call would cost more than many of them take).
  const v0 = cpuSeconds();
  for (const p of programs) verify(p, FUZZ_VERIFY_OPTIONS);
  const verifyCpu = cpuSeconds() - v0;
  const seen = programs.slice(0, 300);
  const wall = (performance.now() - t0) / 1000;
  const rate = runs / cpu;
  opts.progress(`fuzz: ${runs} programs in ${cpu.toFixed(1)} s CPU (${wall.toFixed(1)} s wall), ${((100 * accepted) / runs).toFixed(0)}% accepted`);
  const anchor = await kernelRate(seen);
  const row: BenchRow = { group: 'fuzz', name: 'end to end (generate, verify, run on VM)', value: rate, unit: 'programs/s/core' };
  if ('rate' in anchor) {
    row.anchor = 'kernel BPF_PROG_LOAD, same programs';
    row.anchorValue = anchor.rate;
    row.ratio = rate / anchor.rate;
  } else row.note = `no kernel anchor: ${anchor.why}`;
  const perOracle = await oracleRows(opts.quick ? 1 : 4, opts.quick ? 0.25 : 1, 'rate' in anchor ? anchor.rate : undefined);
  const coverageBudget = opts.quick ? 4 : Number(process.env['BPFLAB_BENCH_FUZZ_COVERAGE_SECONDS'] ?? 60);
  const coverage = await coverageRows(coverageBudget, 'rate' in anchor ? anchor.rate : undefined, opts.progress);
  const scaling = await workerScaling(opts.quick ? 3 : Number(process.env['BPFLAB_BENCH_FUZZ_SCALING_SECONDS'] ?? 20));
  return [
    row,
    ...perOracle,
    ...scaling,
    ...coverage,
    { group: 'fuzz', name: 'verifier share of end-to-end time', value: (100 * verifyCpu) / cpu, unit: '%', note: 'the same programs verified again alone, CPU time' },
    { group: 'fuzz', name: 'generator acceptance rate', value: (100 * accepted) / runs, unit: '%', note: `${runs} structured programs` },
  ];
};

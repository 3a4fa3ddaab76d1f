#!/usr/bin/env node
// Fuzz worker scaling from a fixed amount of work (run `npm run build` first):
//   node bench/worker-scaling.js [--runs N] [--rounds R] [--seed S] [--phases] [--json] [-- NODE_FLAGS...]
// Each round runs the guided sanitize campaign (the `bpflab fuzz` default) twice, each in a fresh
// node process: 1 worker thread with N programs, then 2 worker threads with N programs each
// (rounds alternate which goes first). Per process it reads every thread's CPU time from /proc
// at the end: the worker threads, this process's main thread (oracle set-up, the seed programs'
// observation) and the rest, V8's helper threads (concurrent TurboFan compiles, parallel and
// concurrent GC). Fixed work rather than a time window: both campaigns check the same programs
// in every round, so rounds compare on a loaded machine and the results must be equal (checked).
// Throughput on 2 dedicated cores: 1 worker runs as fast as its thread (its helpers take the
// other core) -- N / max(worker thread, process / 2); 2 workers share both cores -- 2N / (process / 2).
// The same ratio from the 2-worker run alone -- from its worker-thread and helper-thread CPU per
// worker (W, H) and its main thread's -- is steadier on a loaded machine (rounds 1.39-1.40x where
// the two-run ratio spread 1.21-1.53x): it assumes one worker's thread costs what each of two does.
// (The second worker has its own seed, so its programs differ: the two-run ratio has that too.)
// NODE_FLAGS after `--` go to the measured processes (V8 flags to try; they are per process).
// --phases: the V8 helpers' CPU against the worker threads' over each slice of about 2,000
// programs per worker (first round): how long the warm-up lasts -- a guided campaign keeps
// reaching verifier paths that have no type feedback yet, and each one deoptimises and
// recompiles the function it is in.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
const flagsAt = argv.indexOf('--');
const own = flagsAt >= 0 ? argv.slice(0, flagsAt) : argv;
const nodeFlags = flagsAt >= 0 ? argv.slice(flagsAt + 1) : [];
const value = (name, d) => { const i = own.indexOf(name); return i >= 0 ? Number(own[i + 1]) : d; };

/** CPU seconds (user + system) of every thread of this process: [tid, seconds]. */
function threadCpu() {
  const out = [];
  for (const t of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.push([t, (Number(f[11]) + Number(f[12])) / 100]);
    } catch { /* the thread ended meanwhile */ }
  }
  return out;
}

if (own[0] === '--child') {
  // One measured campaign: prints one JSON line.
  const [workers, runs, seed] = own.slice(1, 4).map(Number);
  const { runParallel } = await import('../dist/fuzz/parallel.js');
  const t0 = performance.now();
  /** Worker-thread and helper-thread CPU seconds so far (workers: the `workers` busiest threads other than this one). */
  const split = () => {
    const others = threadCpu().filter(([t]) => t !== String(process.pid)).map(([, s]) => s).sort((a, b) => b - a);
    const w = others.slice(0, workers).reduce((a, b) => a + b, 0);
    return { w, h: others.slice(workers).reduce((a, b) => a + b, 0) };
  };
  const phases = [];
  let next = 0;
  const onProgress = own.includes('--phases') ? (st) => { if (st.runs >= next) { phases.push({ runs: st.runs, ...split() }); next = st.runs + 2000 * workers; } } : undefined;
  const r = await runParallel({ workers, threads: true, seed, runs: workers * runs, oracles: ['sanitize'], guided: true, useSeeds: true, ...(onProgress && { onProgress }) });
  if (onProgress) phases.push({ runs: r.stats.runs, ...split() });
  const wall = (performance.now() - t0) / 1000;
  const u = process.cpuUsage();
  const threads = threadCpu();
  const parent = threads.find(([t]) => t === String(process.pid))?.[1] ?? 0;
  const cpu = (u.user + u.system) / 1e6;
  const worker = r.workerThreadCpu ?? null;
  console.log(JSON.stringify({
    workers, runs: r.stats.runs, accepted: r.stats.accepted, features: r.stats.coverage?.features ?? null,
    findings: r.found.map((b) => b.signature).sort(), wall, cpu, worker, parent, helpers: worker === null ? null : cpu - worker - parent, phases,
  }));
  process.exit(0);
}

const runs = value('--runs', 8000), rounds = value('--rounds', 2), seed = value('--seed', 1);
const self = fileURLToPath(import.meta.url);
const measure = (workers) => {
  const p = spawnSync(process.execPath, [...nodeFlags, self, '--child', String(workers), String(runs), String(seed), ...(own.includes('--phases') ? ['--phases'] : [])], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const line = p.stdout.split('\n').find((l) => l.startsWith('{'));
  if (!line) throw new Error(`measured process failed (${p.status}): ${p.stderr.slice(-2000)}`);
  return JSON.parse(line);
};
const results = { 1: [], 2: [] };
const printPhases = (m) => {
  for (let i = 1; i < m.phases.length; i++) {
    const a = m.phases[i - 1], b = m.phases[i], w = b.w - a.w, h = b.h - a.h;
    console.error(`    programs ${a.runs}-${b.runs}: worker threads ${w.toFixed(2)} s, V8 helpers ${h.toFixed(2)} s (${((100 * h) / Math.max(0.01, w)).toFixed(0)}%)`);
  }
};
for (let round = 0; round < rounds; round++) {
  for (const w of round % 2 === 0 ? [1, 2] : [2, 1]) {
    const m = measure(w);
    results[w].push(m);
    if (round === 0 && own.includes('--phases')) { console.error(`${w} worker${w > 1 ? 's' : ''}, by phase:`); printPhases(m); }
    if (!own.includes('--json')) {
      console.error(`round ${round + 1}, ${w} worker${w > 1 ? 's' : ''}: ${m.runs} programs, process CPU ${m.cpu.toFixed(2)} s = worker threads ${m.worker?.toFixed(2)} + main thread ${m.parent.toFixed(2)} + V8 helpers ${m.helpers?.toFixed(2)} (${m.wall.toFixed(1)} s wall)`);
    }
  }
}
// Same seed, same programs: every round's results must be equal.
const key = (m) => JSON.stringify([m.runs, m.accepted, m.features, m.findings]);
const deterministic = [1, 2].every((w) => results[w].every((m) => key(m) === key(results[w][0])));
const rate1 = results[1].map((m) => m.runs / Math.max(m.worker ?? 0, m.cpu / 2));
const rate2 = results[2].map((m) => m.runs / (m.cpu / 2));
const ratios = rate1.map((r, i) => rate2[i] / r);
// Within the 2-worker run alone (robust to the machine's load changing between the two runs):
// per worker W (thread) and H (helpers), one worker would take max(W, (W + H + main) / 2) per N
// programs, two take (2 W + 2 H + main) / 2 for 2 N.
const within = results[2].map((m) => {
  const w = m.worker / 2, h = m.helpers / 2;
  return (4 * Math.max(w, (w + h + m.parent) / 2)) / (2 * w + 2 * h + m.parent);
});
const range = (xs, d = 0) => `${Math.min(...xs).toFixed(d)}-${Math.max(...xs).toFixed(d)}`;
const perWorker = (m, x) => (x / m.workers).toFixed(2);
const summary = {
  runs, rounds, seed, nodeFlags, deterministic,
  oneWorker: { programsPerSecond: rate1, helperCpuPerWorker: results[1].map((m) => m.helpers), workerCpu: results[1].map((m) => m.worker) },
  twoWorkers: { programsPerSecond: rate2, helperCpuPerWorker: results[2].map((m) => (m.helpers ?? 0) / 2), workerCpu: results[2].map((m) => (m.worker ?? 0) / 2) },
  ratio: ratios, ratioWithinTwoWorkerRun: within,
};
if (own.includes('--json')) console.log(JSON.stringify(summary, null, 1));
else {
  console.log(`worker scaling, ${runs} programs per worker (guided sanitize, seed ${seed}${nodeFlags.length ? `, node ${nodeFlags.join(' ')}` : ''}), ${rounds} rounds`);
  console.log(`  1 worker:  ${range(rate1)} programs/s on 2 dedicated cores; per worker: thread ${range(results[1].map((m) => m.worker), 2)} s, V8 helpers ${range(results[1].map((m) => m.helpers), 2)} s`);
  console.log(`  2 workers: ${range(rate2)} programs/s on 2 dedicated cores; per worker: thread ${range(results[2].map((m) => Number(perWorker(m, m.worker))), 2)} s, V8 helpers ${range(results[2].map((m) => Number(perWorker(m, m.helpers))), 2)} s; main thread ${range(results[2].map((m) => m.parent), 2)} s`);
  console.log(`  scaling:   ${range(ratios, 2)}x (same seed, same results in every round: ${deterministic ? 'yes' : 'NO'})`);
  console.log(`  scaling within the 2-worker run, 4 max(W, (W + H + main) / 2) / (2 W + 2 H + main): ${range(within, 2)}x (W, H: worker-thread and V8 helper CPU; the load changing between runs does not enter)`);
}

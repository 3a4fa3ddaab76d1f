#!/usr/bin/env node
// Where the verifier row of `bpflab bench` spends its time, per ../shared/corpus-samples program
// (run `npm run build` first; DIST=/other/dist compares another build):
//   node bench/corpus-cost.js [--rows] [--out ROWS.json]
// Runs the bench's order twice in one process (first pass cold, second warm), each verification
// followed by the kernel's BPF_PROG_LOAD as in the bench, and times each object's load and each
// program's verification in this thread's CPU time (CLOCK_THREAD_CPUTIME_ID: a loaded machine's
// preemption and V8's helper threads left out), beside the bench's wall time and the kernel's.
// Prints the medians, the programs that open their object apart from the others, and by position
// in the order (the first programs pay V8's compilation of the verifier).
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = pathToFileURL(resolve(process.env.DIST ?? resolve(root, 'dist'))).href;
const { sampleRows, samplesDir } = await import(`${dist}/bench/verifier.js`);
const { loadFile } = await import(`${dist}/loader/index.js`);
const { verify } = await import(`${dist}/verifier/index.js`);
const k = await import(`${dist}/kernel/index.js`);
const argv = process.argv.slice(2);
const out = argv.includes('--out') ? argv[argv.indexOf('--out') + 1] : undefined;

const koffi = createRequire(resolve(root, 'package.json'))('koffi');
const clockGettime = koffi.load('libc.so.6').func('int clock_gettime(int, _Out_ uint64_t *ts)');
const ts = new BigUint64Array(2);
const CLOCK_THREAD_CPUTIME_ID = 3;
/** This thread's CPU time in ms. */
const threadMs = () => { clockGettime(CLOCK_THREAD_CPUTIME_ID, ts); return Number(ts[0]) * 1e3 + Number(ts[1]) / 1e6; };

const dir = samplesDir();
const kernelOk = k.kernelAvailable().ok;
// The bench's samplePrograms, with each object's load timed.
const loaded = new Map();
const rows = [];
for (const row of sampleRows(dir)) {
  let obj = loaded.get(row.object);
  if (!obj) {
    const path = resolve(dir, row.object);
    const bytes = new Uint8Array(readFileSync(path));
    const t0 = threadMs();
    let progs = null;
    try { progs = await loadFile(path, bytes); } catch { /* left out, as the bench does */ }
    obj = { progs, loadMs: threadMs() - t0 };
    loaded.set(row.object, obj);
  }
  const p = obj.progs?.find((x) => x.section === row.section && x.name === row.func) ?? obj.progs?.find((x) => x.section === row.section);
  if (p) rows.push({ object: row.object, section: row.section, program: { ...p, type: row.type }, firstOfObject: !rows.some((r) => r.object === row.object), objectLoadMs: obj.loadMs });
}

for (const pass of [0, 1]) {
  for (const r of rows) {
    const t0 = threadMs();
    const v = verify(r.program);
    const cpu = threadMs() - t0;
    let kms = NaN;
    if (kernelOk) {
      try {
        const load = k.progLoad(r.program, { logLevel: 0 });
        if (load.fd !== null) k.closeFd(load.fd);
        kms = load.ms;
      } catch { /* maps the kernel refuses */ }
    }
    if (pass === 0) Object.assign(r, { insns: r.program.insns.length, processed: v.processed, cold: cpu, coldWall: v.ms, kernel: kms });
    else Object.assign(r, { warm: cpu, warmWall: v.ms, kernel2: kms });
  }
}

const median = (xs) => { const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b); return s.length ? (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2 : NaN; };
const f3 = (x) => x.toFixed(3);
const km = median(rows.map((r) => r.kernel));
console.log(`${rows.length} programs from ${loaded.size} objects; kernel BPF_PROG_LOAD median ${f3(km)} ms (second pass ${f3(median(rows.map((r) => r.kernel2)))})`);
console.log(`verification, first pass:  median ${f3(median(rows.map((r) => r.cold)))} ms thread CPU (${(median(rows.map((r) => r.cold)) / km).toFixed(2)}x), wall ${f3(median(rows.map((r) => r.coldWall)))} (${(median(rows.map((r) => r.coldWall)) / km).toFixed(2)}x)`);
console.log(`verification, second pass: median ${f3(median(rows.map((r) => r.warm)))} ms thread CPU, wall ${f3(median(rows.map((r) => r.warmWall)))}`);
console.log(`object loads: median ${f3(median([...loaded.values()].map((o) => o.loadMs)))} ms thread CPU, total ${[...loaded.values()].reduce((a, o) => a + o.loadMs, 0).toFixed(1)} ms`);
for (const [name, pick] of [['first program of its object', (r) => r.firstOfObject], ['other programs', (r) => !r.firstOfObject]]) {
  const g = rows.filter(pick);
  console.log(`  ${name} (${g.length}): first pass ${f3(median(g.map((r) => r.cold)))}, second ${f3(median(g.map((r) => r.warm)))}, first - second ${f3(median(g.map((r) => r.cold - r.warm)))} ms`);
}
console.log('by position in the order (medians, ms): first pass / second pass / kernel');
for (let i = 0; i < rows.length; i += 40) {
  const g = rows.slice(i, i + 40);
  console.log(`  ${String(i).padStart(3)}-${String(i + g.length - 1).padEnd(3)} ${f3(median(g.map((r) => r.cold)))} / ${f3(median(g.map((r) => r.warm)))} / ${f3(median(g.map((r) => r.kernel)))}  (${g[0].object} ...)`);
}
if (argv.includes('--rows')) {
  for (const r of rows) console.log(`${r.object} ${r.section}: ${r.insns} insns, ${r.processed} processed; first ${f3(r.cold)} second ${f3(r.warm)} kernel ${f3(r.kernel)}${r.firstOfObject ? ` (opens its object: load ${f3(r.objectLoadMs)})` : ''}`);
}
if (out) writeFileSync(out, JSON.stringify(rows.map(({ program, ...r }) => r), null, 1));

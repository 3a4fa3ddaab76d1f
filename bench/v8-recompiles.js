#!/usr/bin/env node
// Which functions V8's optimising compiler (TurboFan) compiles again and again, and why, from a
// trace of any bpflab command:
//   node --trace-opt --trace-deopt-verbose bin/bpflab.js fuzz --oracle sanitize --runs 6000 --seed 1 >T 2>&1
//   node bench/v8-recompiles.js T [--top N]
// Prints the totals (TurboFan compiles, their compile time, eager deopts), then per function:
// compile ms, compiles, deopts; then the deopt reasons by count and, with --trace-deopt-verbose,
// the source positions of the deopts of the top functions (a cold path reached for the first
// time shows as "Insufficient type feedback", a new hidden class of an object as "wrong map").
import { readFileSync } from 'node:fs';

const argv = process.argv.slice(2);
const file = argv.find((a) => !a.startsWith('--'));
if (!file) { console.error('usage: node bench/v8-recompiles.js TRACE [--top N]'); process.exit(2); }
const top = argv.includes('--top') ? Number(argv[argv.indexOf('--top') + 1]) : 20;
const lines = readFileSync(file, 'utf8').split('\n');

// Anonymous functions print as `<JSFunction (sfi = 0x...)>`: counted together as (anonymous).
const fnName = (line) => {
  const n = /<JSFunction ([^ >]+)/.exec(line)?.[1];
  return n === undefined ? '?' : n.startsWith('(') ? '(anonymous)' : n;
};
const byFn = new Map();
const entry = (f) => { let e = byFn.get(f); if (!e) byFn.set(f, e = { ms: 0, compiles: 0, deopts: 0, at: new Map() }); return e; };
const reasons = new Map();
let compiles = 0, ms = 0, deopts = 0, lastDeopt = null;
for (const line of lines) {
  if (line.includes('completed compiling') && line.includes('TURBOFAN')) {
    const t = /took ([\d.]+), ([\d.]+), ([\d.]+) ms/.exec(line);
    const e = entry(fnName(line));
    const c = t ? Number(t[1]) + Number(t[2]) + Number(t[3]) : 0;
    e.ms += c; e.compiles++; ms += c; compiles++;
  } else if (line.startsWith('[bailout (kind')) {
    const f = fnName(line);
    entry(f).deopts++; deopts++;
    const r = /reason: ([^)]*)\)/.exec(line)?.[1] ?? '?';
    reasons.set(r, (reasons.get(r) ?? 0) + 1);
    lastDeopt = f;
  } else if (lastDeopt && line.includes(';;; deoptimize at')) {
    const at = /deoptimize at <([^>]*)>/.exec(line)?.[1]?.replace(/^file:\/\/\/.*?\/dist\//, '') ?? '?';
    const m = entry(lastDeopt).at;
    m.set(at, (m.get(at) ?? 0) + 1);
    lastDeopt = null;
  }
}
console.log(`TurboFan compiles ${compiles}, ${ms.toFixed(0)} ms compiling; eager deopts ${deopts}`);
const rows = [...byFn].sort((a, b) => b[1].ms - a[1].ms).slice(0, top);
console.log('compile ms  compiles  deopts  function');
for (const [f, e] of rows) console.log(`${e.ms.toFixed(1).padStart(10)}  ${String(e.compiles).padStart(8)}  ${String(e.deopts).padStart(6)}  ${f}`);
console.log('\ndeopt reasons:');
for (const [r, n] of [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 10)) console.log(`${String(n).padStart(5)}  ${r}`);
const withAt = rows.filter(([, e]) => e.at.size > 0);
if (withAt.length > 0) console.log('\ndeopt positions of the top functions:');
for (const [f, e] of withAt) console.log(`  ${f}: ${[...e.at].map(([at, n]) => (n > 1 ? `${at} x${n}` : at)).join(', ')}`);

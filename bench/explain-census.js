#!/usr/bin/env node
// explain over every rejected program of corpus/, ../shared/corpus-samples (loaded with the kernel's
// program type) and ../shared/kernel-selftests (privileged options), run `npm run build` first:
//   node bench/explain-census.js [--set corpus|samples|selftests] [--fix] [--timeout MS] [--out ROWS.json]
// Prints, per set: feasible / false alarm / undecided, loss classes of the false alarms, the false
// alarms with no loss class, answers that contradict themselves, and (with --fix) programs with a
// verified fix.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findEntries } from '../dist/cli/commands/corpus.js';
import { loadFile } from '../dist/loader/index.js';
import { closeExplain, explainProgram } from '../dist/smt/explain/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shared = resolve(root, '../shared');
const argv = process.argv.slice(2);
const value = (name) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
const only = value('--set');
const fix = argv.includes('--fix');
const timeoutMs = Number(value('--timeout') ?? 5000);
const rows = [];

/** An answer that says two opposite things (a real bug not reproduced, a loss with equal ranges). */
function contradiction(e) {
  const r = e.replay;
  if (e.feasible === true && r && r.reproduced === false && !r.note && !r.shows && !r.error) return 'feasible, but the replay does not reproduce it and says nothing about why';
  const imp = e.imprecision;
  if (imp && imp.abstract && imp.abstract === imp.concrete) return `the loss prints the same set for verifier and real (${imp.concrete})`;
  if (e.feasible === false && /^real/.test(e.reason)) return 'a false alarm whose reason says real';
  return null;
}

async function one(set, id, program, verify) {
  const t0 = Date.now();
  let e;
  try {
    e = await explainProgram(program, { timeoutMs, verify: { insnLimit: 200_000, ...verify }, ...(fix && { fix: true }) });
  } catch (err) {
    rows.push({ set, id, crash: String(err).slice(0, 200) });
    return;
  }
  if (e.verdict !== 'reject') { rows.push({ set, id, ours: 'accept' }); return; }
  rows.push({
    set, id, kind: e.error?.kind, feasible: e.feasible, check: e.check, reason: e.reason.slice(0, 240),
    reproduced: e.replay?.reproduced ?? null, loss: e.imprecision?.cls ?? null, lossPcs: e.imprecision ? [e.imprecision.pc, ...(e.imprecision.pcs ?? [])] : null,
    contradiction: contradiction(e),
    fixes: e.fixes ? e.fixes.filter((f) => f.verified && f.replayed !== false).length : null, ms: Date.now() - t0,
  });
}

const cache = new Map();
async function programsOf(path, opts) {
  const key = path + '|' + JSON.stringify(opts);
  if (!cache.has(key)) cache.set(key, await loadFile(path, new Uint8Array(readFileSync(path)), opts).catch(() => []));
  return cache.get(key);
}

if (!only || only === 'corpus') {
  for (const entry of findEntries(resolve(root, 'corpus')).filter((x) => x.expect.verdict === 'reject'))
    for (const p of await programsOf(entry.file, {})) await one('corpus', `${relative(root, entry.file)}:${p.name}`, p, {});
}
const samplesCsv = `${shared}/corpus-samples/kernel-verdicts.csv`;
if ((!only || only === 'samples') && existsSync(samplesCsv)) {
  for (const [obj, , fn, type, , verdict] of readFileSync(samplesCsv, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','))) {
    if (verdict !== 'rejected') continue;
    const p = (await programsOf(`${shared}/corpus-samples/${obj}`, { type: type.toLowerCase() })).find((x) => x.name === fn);
    if (p) await one('samples', `${obj}:${fn}`, p, {});
    else rows.push({ set: 'samples', id: `${obj}:${fn}`, crash: 'not loaded' });
  }
}
const selftestsJson = `${shared}/kernel-selftests/kernel-verdicts.json`;
if ((!only || only === 'selftests') && existsSync(selftestsJson)) {
  for (const r of JSON.parse(readFileSync(selftestsJson, 'utf8')).results) {
    if (r.verdict !== 'reject') continue;
    const p = (await programsOf(`${shared}/kernel-selftests/obj/${r.file}.o`, {})).find((x) => x.name === r.name);
    // verifier_mtu's programs are the unprivileged ones: every other selftest loads as root
    if (p) await one('selftests', `${r.file}:${r.name}`, p, { allowUninitStack: r.file !== 'verifier_mtu' });
    else rows.push({ set: 'selftests', id: `${r.file}:${r.name}`, crash: 'not loaded' });
  }
}
await closeExplain();
const out = value('--out');
if (out) writeFileSync(out, JSON.stringify(rows, null, 1));

const sets = {};
for (const r of rows) {
  const s = (sets[r.set] ??= { rejected: 0, oursAccept: 0, notLoaded: 0, feasible: 0, falseAlarm: 0, undecided: 0, reproduced: 0, fixed: 0, loss: {}, noLoss: [], contradictions: [] });
  if (r.crash) { s.notLoaded++; continue; }
  if (r.ours === 'accept') { s.oursAccept++; continue; }
  s.rejected++;
  if (r.feasible === true) { s.feasible++; if (r.reproduced) s.reproduced++; }
  else if (r.feasible === false) {
    s.falseAlarm++;
    if (r.loss) s.loss[r.loss] = (s.loss[r.loss] ?? 0) + 1;
    else s.noLoss.push(r.id);
  } else s.undecided++;
  if (r.contradiction) s.contradictions.push(`${r.id}: ${r.contradiction}`);
  if (r.fixes) s.fixed++;
}
for (const [name, s] of Object.entries(sets)) {
  console.log(`${name}: ${s.rejected} rejected by bpflab (${s.oursAccept} accepted, ${s.notLoaded} not loaded): ${s.feasible} feasible (${s.reproduced} replayed), ${s.falseAlarm} false alarms, ${s.undecided} undecided${fix ? `; ${s.fixed} with a verified fix` : ''}`);
  console.log(`  loss classes: ${Object.entries(s.loss).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`);
  for (const id of s.noLoss) console.log(`  false alarm with no loss class: ${id}`);
  for (const c of s.contradictions) console.log(`  contradiction: ${c}`);
}

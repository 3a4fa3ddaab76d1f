/**
 * The self-contained HTML report: one file with its stylesheet, d3 and its script inlined,
 * openable from file:// with no network. Verdicts, explanations and the failing path are
 * rendered here in Node; the script draws the CFG (semantic zoom, minimap), the virtualised
 * instruction list and the state panel from a compact JSON island.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { REPORT_CLIENT_JS } from './client.js';
import { escapeHtml as h, jsonForScript, scriptBody } from './escape.js';
import type { ExplainReport, KernelVerdictInput, ReportInput } from './model.js';
import { renderSarif } from './sarif.js';
import { REPORT_CSS } from './styles.js';
import { buildProgramView, type ProgramView, type ViewOptions } from './view.js';
import { toWire } from './wire.js';

let d3Source: string | undefined;

/** d3's UMD bundle (a classic script defining `d3`), read from the installed package once. */
export function d3Bundle(): string {
  if (d3Source === undefined) {
    const require = createRequire(import.meta.url);
    const entry = require.resolve('d3'); // .../d3/dist/d3.mjs or similar
    d3Source = readFileSync(join(dirname(entry), 'd3.min.js'), 'utf8');
  }
  return d3Source;
}

const plural = (n: number, w: string): string => `${n} ${w}${n === 1 ? '' : 's'}`;

function pcLink(pc: number): string {
  return `<a href="#" data-goto="${pc}">insn ${pc}</a>`;
}

/** Hex string as a classic dump: offset, 16 bytes per line; two or more all-zero lines in a row collapse to one line saying how many bytes. */
export function hexDump(hex: string): string {
  const clean = hex.replace(/[^0-9a-fA-F]/g, '').toLowerCase();
  const lines: string[] = [];
  const line = (i: number): string => `<span class="off">${(i / 2).toString(16).padStart(4, '0')}</span>  ${(clean.slice(i, i + 32).match(/.{1,2}/g) ?? []).join(' ')}`;
  let run: number[] = [];
  const flush = (): void => {
    if (run.length >= 2) lines.push(`<span class="off">${(run[0]! / 2).toString(16).padStart(4, '0')}  … ${run.length * 16} zero bytes …</span>`);
    else run.forEach((i) => lines.push(line(i)));
    run = [];
  };
  for (let i = 0; i < clean.length; i += 32) {
    const chunk = clean.slice(i, i + 32);
    if (chunk.length === 32 && /^0+$/.test(chunk)) { run.push(i); continue; }
    flush();
    lines.push(line(i));
  }
  flush();
  return lines.length ? lines.join('\n') : '<span class="off">(empty)</span>';
}

function explainCard(e: ExplainReport): string {
  const chip = e.feasible === true
    ? '<span class="chip reject">feasible: real bug</span>'
    : e.feasible === false ? '<span class="chip warn">infeasible: false alarm</span>' : '<span class="chip neutral">undecided</span>';
  const lead = e.feasible === true
    ? 'A concrete input follows the failing path to the rejected instruction.'
    : e.feasible === false
      ? 'No concrete input follows this path: the verifier rejected it because its abstract state was too coarse.'
      : 'Z3 could not decide whether the failing path is feasible.';
  const left: string[] = [`<div class="line">${h(lead)}</div>`];
  const right: string[] = [];
  if (e.reason) left.push(`<div class="line"><span class="label">Reason</span>${h(e.reason)}</div>`);
  if (e.access) left.push(`<div class="line"><span class="label">Access</span><code>${h(e.access.region)}</code> offset ${h(e.access.offset)}, size ${h(e.access.size)}</div>`);
  const r = e.replay;
  if (r) {
    let what: string;
    if (r.fault) {
      const f = r.fault;
      const where = [f.region, f.offset !== undefined ? `offset ${f.offset}` : '', f.size !== undefined ? `size ${f.size}` : ''].filter(Boolean).join(', ');
      what = `fault at ${pcLink(f.pc)}: <code>${h(f.kind)}</code>${where ? ` (${h(where)})` : ''}`;
    } else if (r.error) what = `stopped at ${pcLink(r.error.pc)}: <code>${h(r.error.kind)}</code> ${h(r.error.message)}`;
    else what = `no fault${r.r0 !== undefined ? `, r0 = <code>${h(r.r0)}</code>` : ''}`;
    if (r.shows) what = h(r.shows);
    // a feasible verdict whose run does not show the fault says so in words, never as "real bug / not reproduced"
    const rep = r.reproduced === true ? ' <span class="chip reject">reproduced</span>' : r.reproduced === false && e.feasible !== true ? ' <span class="chip neutral">not reproduced</span>' : '';
    left.push(`<div class="line"><span class="label">Replay (${h(r.engine)})</span>${what}${rep}</div>`);
    if (r.note) left.push(`<div class="line"><span class="label"></span>${h(r.note)}</div>`);
  }
  for (const site of e.sites ?? []) {
    if (site.role === 'fault') continue;
    left.push(`<div class="line"><span class="label">${h(site.role.replace('_', ' '))}</span>${pcLink(site.pc)}: ${h(site.what)}${site.line ? `<div class="mono src">${h(site.line)}</div>` : ''}</div>`);
  }
  const im = e.imprecision;
  if (im) {
    left.push(`<div class="line"><span class="label">Imprecision</span>at ${pcLink(im.pc)}${im.register ? ` in <code>${h(im.register)}</code>` : ''}${im.cls ? ` <span class="chip warn">${h(im.cls.replace(/_/g, ' '))}</span>` : ''}</div>`);
    if (im.why) left.push(`<div class="line">${h(im.why)}</div>`);
    left.push(`<div class="cmp"><span class="k">abstract</span><span>${h(im.abstract)}</span><span class="k">real values</span><span>${h(im.concrete)}</span></div>`);
  }
  const w = e.witness;
  if (w) {
    right.push('<div class="line sub">Counterexample input</div>');
    if (w.ctx !== undefined) right.push(`<div class="line mono">ctx</div><div class="hex">${hexDump(w.ctx)}</div>`);
    if (w.packet !== undefined) right.push(`<div class="line mono">packet</div><div class="hex">${hexDump(w.packet)}</div>`);
    if (w.mem !== undefined) right.push(`<div class="line mono">mem</div><div class="hex">${hexDump(w.mem)}</div>`);
    for (const [map, entries] of Object.entries(w.maps ?? {})) {
      for (const [k, v] of Object.entries(entries)) right.push(`<div class="line mono">map ${h(map)}[${h(k)}]</div><div class="hex">${hexDump(v)}</div>`);
    }
    for (const f of w.kernelFields ?? []) right.push(`<div class="line mono">${h(f)}</div>`);
    for (const hc of w.helpers ?? []) {
      const writes = (hc.writes ?? []).map((x) => `, writes <code>${h(x.hex.length > 64 ? `${x.hex.slice(0, 64)}…` : x.hex)}</code> through R${x.arg}`).join('');
      right.push(`<div class="line"><span class="label">Helper</span><code>${h(hc.helper)}</code> at ${pcLink(hc.pc)} returns <code>${h(hc.r0)}</code>${writes}</div>`);
    }
  }
  if (e.fixes) {
    const good = e.fixes.filter((f) => f.verified);
    const items = good.map((f) => `<div class="fix"><b>Verified fix</b> ${f.inPlace ? 'at' : 'before'} ${pcLink(f.pc)}${f.from !== undefined ? ` (on the edge from insn ${f.from})` : ''}: ${h(f.description)}${f.c ? `<pre>${h(f.c)}</pre>` : ''}<pre>${h(f.insns.join('\n'))}</pre><div class="stats">re-verified: accepted${f.replayed === true ? ' · the counterexample no longer fails on the patched program' : f.replayed === false ? ` · the counterexample still fails (${h(f.replayNote ?? '')})` : ''}</div></div>`);
    if (!good.length) items.push(`<div class="fix failed">${e.fixes.length ? `${e.fixes.length} candidate patch${e.fixes.length === 1 ? '' : 'es'} tried; the verifier accepted none` : 'no candidate patch for this rejection'}</div>`);
    left.push(`<div class="fixes">${items.join('')}</div>`);
  }
  const cols = right.length ? `<div class="ex-grid"><div>${left.join('')}</div><div>${right.join('')}</div></div>` : left.join('');
  return `<div class="card explain"><h3>Explanation ${chip}</h3>${cols}</div>`;
}

function kernelCard(k: KernelVerdictInput, ours: 'accept' | 'reject'): string {
  if (k.verdict === 'unavailable') {
    return `<div class="card kernel"><h3>Linux kernel <span class="chip neutral">unavailable</span></h3><div class="line">${h(k.message)}</div></div>`;
  }
  const agree = k.verdict === ours ? '<span class="chip accept">agrees</span>' : '<span class="chip reject">disagrees</span>';
  const verdictChip = `<span class="chip ${k.verdict}">${k.verdict === 'accept' ? 'accepted' : 'rejected'}</span>`;
  const stats = [k.processed !== undefined ? `processed ${k.processed} insns` : '', k.ms !== undefined ? `${k.ms.toFixed(2)} ms` : ''].filter(Boolean).join(' · ');
  return `<div class="card kernel"><h3>Linux kernel ${verdictChip} ${agree}</h3>${k.message ? `<div class="line"><code>${h(k.message)}</code></div>` : ''}${stats ? `<div class="stats">${h(stats)}</div>` : ''}</div>`;
}

/** The failing path as runs of consecutive pcs: 0–4 → 9 → 10–12. */
function pathBar(v: ProgramView): string {
  if (!v.path || !v.path.length) return '';
  const runs: [number, number][] = [];
  for (const pc of v.path) {
    const last = runs[runs.length - 1];
    if (last && (pc === last[1] + 1 || (pc === last[1] + 2 && v.text[last[1] + 1] === ''))) last[1] = pc;
    else runs.push([pc, pc]);
  }
  const shown = runs.length > 120 ? [...runs.slice(0, 40), null, ...runs.slice(-80)] : runs;
  const failPc = v.error?.pc;
  const steps = shown.map((r) => {
    if (!r) return `<span class="arrow">… ${runs.length - 120} more …</span>`;
    const label = r[0] === r[1] ? `${r[0]}` : `${r[0]}–${r[1]}`;
    const fail = failPc !== undefined && r[1] === failPc;
    return `<a href="#" class="step${fail ? ' fail' : ''}" data-goto="${r[1]}" title="insns ${label}">${label}</a>`;
  });
  const src = v.pathSource === 'log' ? 'rebuilt from the verifier log' : v.pathSource === 'explain' ? 'from explain' : 'from the verifier';
  return `<div class="pathbar"><span class="title">Failing path (${plural(v.path.length, 'insn')}, ${src}):</span>${steps.join('<span class="arrow">→</span>')}</div>`;
}

function programSection(v: ProgramView): string {
  const meta = [v.section && v.section !== v.name ? `section ${v.section}` : '', v.type, plural(v.insns, 'insn'), v.file].filter(Boolean).map(h).join(' · ');
  const badge = v.verdict === 'accept' ? '<span class="chip accept">ACCEPTED</span>' : '<span class="chip reject">REJECTED</span>';
  const omitted = v.pcStates?.omitted ? ` · ${h(v.pcStates.omitted)}` : '';
  const stats = `processed ${v.processed} insns · ${plural(v.states, 'state')} · ${v.ms.toFixed(1)} ms${omitted}`;
  const maps = v.maps.length
    ? `<details class="maps"><summary>${plural(v.maps.length, 'map')}</summary><table>${v.maps.map((m) => `<tr><td class="mono">${h(m.name)}</td><td>${h(m.type)}</td><td>key ${m.keySize} B</td><td>value ${m.valueSize} B</td><td>${m.maxEntries} entries</td></tr>`).join('')}</table></details>`
    : '';
  let verdict: string;
  if (v.error) {
    const e = v.error;
    const src = e.source ? `<div class="src"><span class="loc">${h(e.source.file)}:${e.source.line}:${e.source.col}</span>${h(e.source.text.trim())}</div>` : '';
    verdict = `<div class="card verdict reject"><div class="msg">${h(e.message)}</div>
<div class="row"><span class="chip kind reject" title="error kind">${h(e.kind)}</span><span>at ${pcLink(e.pc)}</span>${e.text !== undefined ? `<code>${h(e.text)}</code>` : ''}</div>${src}
<div class="stats">${stats}</div>${maps}</div>`;
  } else {
    verdict = `<div class="card verdict accept"><div class="msg">accepted: every path is safe</div><div class="stats">${stats}</div>${maps}</div>`;
  }
  const cards = [v.explain ? explainCard(v.explain) : '', v.kernel ? kernelCard(v.kernel, v.verdict) : ''].filter(Boolean);
  const shown = v.focus ?? v.graph;
  const cfg = shown
    ? `<div class="cfg-wrap"><canvas class="minimap" width="200" height="140" title="the whole graph: click to move there"></canvas></div>`
    : `<div class="note">${h(v.graphNote ?? 'no graph')}</div>`;
  const partial = v.graph?.partial ? ' <span class="hint">(built by the report: the verifier stopped before its CFG)</span>' : '';
  const nBlocks = v.graph ? ` <span class="hint blocks">${plural(v.graph.nodes.length, 'block')}</span>` : '';
  const toggle = v.focus
    ? `<span class="seg view"><button type="button" data-view="focus" class="on" title="the failing path's blocks, their neighbours, other subprograms as one node each">failing path</button><button type="button" data-view="full" title="every block">whole CFG</button></span>`
    : '';
  return `<section class="prog" id="p${v.index}" data-index="${v.index}">
<div class="prog-head"><h2>${h(v.name)}</h2>${badge}<span class="meta">${meta}</span></div>
${verdict}
${cards.length ? `<div class="cards">${cards.join('')}</div>` : ''}
${pathBar(v)}
<div class="work"><div class="col">
<div class="panel"><div class="ptitle">Control-flow graph${nBlocks}${partial}${toggle}<span class="spacer"></span><span class="legend"><span><i style="border-color:#d4760a;border-top-width:3px"></i>failing path</span><span><i style="border-color:#2da44e"></i>taken</span><span><i style="border-color:#8c959f"></i>fall-through</span><span><i style="border-color:#8250df;border-top-style:dashed"></i>call</span></span><button class="fit" type="button">fit</button></div>${cfg}</div>
<div class="panel"><div class="ptitle">Instructions<span class="hint">${v.sources.length ? 'with source lines from BTF · ' : ''}click a row for its state · <span class="kbd">↑</span> <span class="kbd">↓</span> to step</span><span class="spacer"></span><input class="search" type="search" placeholder="pc, line 33, r3 …" title="search: a pc (123), a source line (line 33 or :33), a register (r3), or text; Enter for the next match"><span class="hits hint"></span></div><div class="listing-wrap"><div class="listing-spacer"></div></div></div>
</div>
<aside class="state panel"><div class="ptitle">Verifier state</div><div class="sbody"></div></aside>
</div>
</section>`;
}

export interface HtmlReportOptions extends ViewOptions {}

/** Renders the whole report page. */
export function renderHtmlReport(input: ReportInput, opts: HtmlReportOptions = {}): string {
  // rejected programs first: they are what a reader opens the report for
  const order = input.programs.map((p, i) => ({ p, i })).sort((a, b) => Number(a.p.result.verdict !== 'reject') - Number(b.p.result.verdict !== 'reject') || a.i - b.i);
  const views = order.map(({ p }, i) => buildProgramView(p, i, opts));
  const rejected = views.filter((v) => v.verdict === 'reject').length;
  const title = input.title ?? `bpflab report: ${input.file}`;
  const totals = `<span class="chip neutral">${plural(views.length, 'program')}</span>${rejected ? `<span class="chip reject">${rejected} rejected</span>` : ''}${views.length - rejected ? `<span class="chip accept">${views.length - rejected} accepted</span>` : ''}`;
  const toc = views.length > 1
    ? `<nav class="toc">${views.map((v) => `<a href="#p${v.index}"><span class="dot ${v.verdict}"></span>${h(v.name)}</a>`).join('')}</nav>`
    : '';
  const footer = `generated by bpflab${input.version ? ` ${h(input.version)}` : ''}${input.generatedAt ? ` on ${h(input.generatedAt)}` : ''} · states are the verifier's abstract states in the Linux kernel's log format`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${h(title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<header class="top"><div class="brand">bpflab<span>verifier report</span></div><div class="file" title="${h(input.file)}">${h(input.file)}</div><div class="totals">${totals}</div></header>
${toc}
<main>
${views.map(programSection).join('\n')}
</main>
<footer>${footer}</footer>
<script type="application/json" id="bpflab-data">${jsonForScript({ file: input.file, programs: views.map(toWire) })}</script>
<script>${scriptBody(d3Bundle())}</script>
<script>${scriptBody(REPORT_CLIENT_JS)}</script>
</body>
</html>
`;
}

/** Renders the report and writes it through `out` (the CLI's Io, or anything with writeFile). */
export function writeHtmlReport(out: { writeFile(path: string, data: string): void }, path: string, input: ReportInput, opts: HtmlReportOptions = {}): void {
  out.writeFile(path, renderHtmlReport(input, opts));
}

/**
 * What `verify --report OUT.html --sarif OUT.sarif` does with its results: writes whichever of
 * the two outputs is asked for (results without a log get one by a verifier re-run).
 */
export function writeReports(
  out: { writeFile(path: string, data: string): void },
  paths: { html?: string | undefined; sarif?: string | undefined },
  input: ReportInput,
  opts: HtmlReportOptions = {},
): void {
  if (paths.html !== undefined) out.writeFile(paths.html, renderHtmlReport(input, opts));
  if (paths.sarif !== undefined) out.writeFile(paths.sarif, JSON.stringify(renderSarif(input), null, 2) + '\n');
}

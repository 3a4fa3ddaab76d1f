/**
 * The verifier row of the benchmark table (SPEC section 5): bpflab's verification time over the
 * real programs in ../shared/corpus-samples/ (those the kernel accepted or rejected), total and
 * median, beside the running kernel's BPF_PROG_LOAD time for the same programs in the same run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeProgram, type ProgType, type Program } from '../isa/program.js';
import { loadFile } from '../loader/index.js';
import { verify } from '../verifier/index.js';
import { pathologicalRows } from './pathological.js';
import type { BenchOptions, BenchRow, BenchSuite } from './types.js';

/** One row of kernel-verdicts.csv. */
export interface SampleRow {
  object: string;
  section: string;
  func: string;
  type: ProgType;
  verdict: string;
  error: string;
}

export function samplesDir(): string {
  return resolve(fileURLToPath(new URL('../../', import.meta.url)), '../shared/corpus-samples');
}

function csvCells(line: string): string[] {
  const cells: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) { cells.push(cur); cur = ''; } else cur += ch;
  }
  cells.push(cur);
  return cells;
}

/** The rows of kernel-verdicts.csv with a kernel verdict (accepted or rejected). */
export function sampleRows(dir = samplesDir()): SampleRow[] {
  const text = readFileSync(resolve(dir, 'kernel-verdicts.csv'), 'utf8');
  return text.trim().split('\n').slice(1).map(csvCells).map((c) => ({
    object: c[0] ?? '', section: c[1] ?? '', func: c[2] ?? '', type: (c[3] ?? '').toLowerCase() as ProgType,
    verdict: c[5] ?? '', error: c[8] ?? '',
  })).filter((r) => r.verdict === 'accepted' || r.verdict === 'rejected');
}

/** The programs of the sample rows, typed as the kernel loaded them (rows whose object fails to load are left out). */
export async function samplePrograms(dir = samplesDir()): Promise<{ row: SampleRow; program: Program }[]> {
  const out: { row: SampleRow; program: Program }[] = [];
  const cache = new Map<string, Program[] | null>();
  for (const row of sampleRows(dir)) {
    let progs = cache.get(row.object);
    if (progs === undefined) {
      try {
        const path = resolve(dir, row.object);
        progs = await loadFile(path, new Uint8Array(readFileSync(path)));
      } catch {
        progs = null;
      }
      cache.set(row.object, progs);
    }
    const p = progs?.find((x) => x.section === row.section && x.name === row.func) ?? progs?.find((x) => x.section === row.section);
    if (p) out.push({ row, program: makeProgram({ ...p, type: row.type }) });
  }
  return out;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2 : 0;
};

export const suite: BenchSuite = async (opts: BenchOptions): Promise<BenchRow[]> => {
  const dir = samplesDir();
  if (!existsSync(resolve(dir, 'kernel-verdicts.csv')))
    return [{ group: 'verifier', name: 'corpus-samples', value: 0, unit: 'ms', note: `no ${dir}` }];
  let samples = await samplePrograms(dir);
  if (opts.quick) samples = samples.filter((_, i) => i % 8 === 0);
  opts.progress(`verifier: ${samples.length} programs from corpus-samples`);
  const mine: number[] = [];
  const kernel: number[] = [];
  /** processed insns (bpflab / kernel) of the programs the kernel accepted. */
  const ratios: number[] = [];
  const stateRatios: number[] = [];
  const peakRatios: number[] = [];
  let atLimit = 0;
  /** CPU time of each bpflab verification, and the kernel's own "verification time" sum. */
  const mineCpu: number[] = [];
  let kernelVerify = 0;
  let kernelVerifyN = 0;
  const processedOf = new Map<Program, number>();
  let note = '';
  const k = await import('../kernel/index.js').catch(() => null);
  const avail = k?.kernelAvailable() ?? { ok: false, reason: 'kernel binding not loadable' };
  if (!avail.ok) note = `kernel unavailable: ${avail.reason}`;
  for (const { program } of samples) {
    const c0 = process.cpuUsage();
    const r = verify(program);
    const cu = process.cpuUsage(c0);
    processedOf.set(program, r.processed);
    mine.push(r.ms);
    mineCpu.push((cu.user + cu.system) / 1000);
    if (k && avail.ok) {
      try {
        const load = k.progLoad(program, { logLevel: 0 });
        if (load.fd !== null) k.closeFd(load.fd);
        kernel.push(load.ms);
        if (load.verifyUs !== undefined) { kernelVerify += load.verifyUs / 1000; kernelVerifyN++; }
        if (load.verdict === 'accept' && load.processed) {
          ratios.push(r.processed / load.processed);
          if (load.states) stateRatios.push(r.states / load.states);
          const peak = /peak_states (\d+)/.exec(load.log);
          if (peak && +peak[1]! > 0) peakRatios.push(r.peakStates / +peak[1]!);
          if (r.error?.kind === 'too_large') atLimit++;
        }
      } catch {
        // maps the kernel refuses: no anchor for this program
      }
    }
  }
  const total = mine.reduce((a, b) => a + b, 0);
  const ktotal = kernel.reduce((a, b) => a + b, 0);
  const row = (name: string, value: number, anchorValue: number | undefined): BenchRow => {
    const r: BenchRow = { group: 'verifier', name, value: Number(value.toFixed(3)), unit: 'ms' };
    if (anchorValue !== undefined && anchorValue > 0) {
      r.anchor = 'kernel verifier (BPF_PROG_LOAD)';
      r.anchorValue = Number(anchorValue.toFixed(3));
      r.ratio = Number((value / anchorValue).toFixed(2));
    }
    const n = `${samples.length} programs${kernel.length !== samples.length && kernel.length ? `, kernel loaded ${kernel.length}` : ''}`;
    r.note = note ? `${n}; ${note}` : n;
    return r;
  };
  const rows = [
    row('corpus-samples total', total, kernel.length ? ktotal : undefined),
    row('corpus-samples median', median(mine), kernel.length ? median(kernel) : undefined),
  ];
  const cpuRow: BenchRow = { group: 'verifier', name: 'corpus-samples total, CPU', value: Number(mineCpu.reduce((a, b) => a + b, 0).toFixed(1)), unit: 'ms CPU',
    note: 'bpflab CPU time (a loaded machine inflates wall time) beside the sum of the kernel\'s "verification time"' };
  if (kernelVerifyN > 0) {
    cpuRow.note += `; the kernel printed its time for ${kernelVerifyN} of ${samples.length}`;
    cpuRow.anchor = 'kernel verification time';
    cpuRow.anchorValue = Number(kernelVerify.toFixed(1));
    cpuRow.ratio = Number((cpuRow.value / kernelVerify).toFixed(2));
  }
  rows.push(cpuRow);
  rows.push(...warmRows(samples, k && avail.ok ? k : null, row));
  if (ratios.length) {
    const sorted = [...ratios].sort((a, b) => a - b);
    const p95 = sorted[Math.min(sorted.length - 1, Math.floor(0.95 * sorted.length))]!;
    const within = sorted.filter((x) => x <= 1.5).length;
    const note = `${sorted.length} kernel-accepted programs; p95 ${p95.toFixed(2)}x; within 1.5x: ${within} (${((100 * within) / sorted.length).toFixed(1)}%); at the 1M limit: ${atLimit}`;
    rows.push({ group: 'verifier', name: 'processed insns / kernel, median', value: Number(median(sorted).toFixed(2)), unit: 'x', note });
    rows.push({ group: 'verifier', name: 'processed insns / kernel, worst', value: Number(sorted[sorted.length - 1]!.toFixed(2)), unit: 'x', note });
  }
  // total_states and peak_states beside the kernel's (programs where the kernel stored any).
  for (const [name, xs] of [['total states', stateRatios], ['peak states', peakRatios]] as const) {
    if (!xs.length) continue;
    const sorted = [...xs].sort((a, b) => a - b);
    const within = sorted.filter((x) => x <= 1.5).length;
    rows.push({ group: 'verifier', name: `${name} / kernel, median`, value: Number(median(sorted).toFixed(2)), unit: 'x',
      note: `${sorted.length} kernel-accepted programs; p95 ${sorted[Math.min(sorted.length - 1, Math.floor(0.95 * sorted.length))]!.toFixed(2)}x; worst ${sorted[sorted.length - 1]!.toFixed(2)}x; within 1.5x: ${within}` });
  }
  rows.push({ group: 'verifier', name: 'peak RSS over the corpus', value: Math.round(process.resourceUsage().maxRSS / 1024), unit: 'MB', note: 'process peak after verifying every program (includes the loaded objects)' });
  const largest = largestProgramRss(dir, samples, processedOf);
  if (largest) rows.push(largest);
  opts.progress('verifier: pathological programs');
  rows.push(...pathologicalRows(k && avail.ok ? k : null, opts.quick));
  return rows;
};

/**
 * The same corpus again in the same process, both sides measured anew: the first pass pays
 * V8's compilation of the verifier (a per-process cost that a fuzz campaign, `bpflab batch` or a
 * CI corpus run pays once), the second shows the per-program cost once the code is compiled.
 */
function warmRows(samples: readonly { program: Program }[], k: typeof import('../kernel/index.js') | null,
  row: (name: string, value: number, anchorValue: number | undefined) => BenchRow): BenchRow[] {
  const mine: number[] = [];
  const kernel: number[] = [];
  for (const { program } of samples) {
    mine.push(verify(program).ms);
    if (!k) continue;
    try {
      const load = k.progLoad(program, { logLevel: 0 });
      if (load.fd !== null) k.closeFd(load.fd);
      kernel.push(load.ms);
    } catch {
      // maps the kernel refuses: no anchor for this program
    }
  }
  const total = mine.reduce((a, b) => a + b, 0);
  const rows = [
    row('corpus-samples total, second pass (compiled)', total, kernel.length ? kernel.reduce((a, b) => a + b, 0) : undefined),
    row('corpus-samples median, second pass (compiled)', median(mine), kernel.length ? median(kernel) : undefined),
  ];
  for (const r of rows) r.note = `${r.note ?? ''}; the same programs again in this process, after the first pass compiled the verifier`;
  return rows;
}

/**
 * Peak RSS of verifying the program with the most processed instructions, alone in a fresh Node
 * process (its object loaded, that one program verified), beside the same process that loads the
 * object and verifies nothing: what one large program costs, not the whole corpus run.
 */
function largestProgramRss(dir: string, samples: { row: SampleRow; program: Program }[], processedOf: Map<Program, number>): BenchRow | null {
  let best: { row: SampleRow; program: Program } | undefined;
  for (const s of samples) if (!best || (processedOf.get(s.program) ?? 0) > (processedOf.get(best.program) ?? 0)) best = s;
  if (!best) return null;
  const verifierUrl = new URL('../verifier/index.js', import.meta.url).href;
  const loaderUrl = new URL('../loader/index.js', import.meta.url).href;
  const script = `
    const { readFileSync } = await import('node:fs');
    const { loadFile } = await import(${JSON.stringify(loaderUrl)});
    const { verify } = await import(${JSON.stringify(verifierUrl)});
    const [path, section, name, type, run] = process.argv.slice(1);
    const progs = await loadFile(path, new Uint8Array(readFileSync(path)));
    const p = progs.find((x) => x.section === section && x.name === name) ?? progs.find((x) => x.section === section);
    const r = run === '1' ? verify({ ...p, type }) : null;
    process.stdout.write(JSON.stringify({ rss: process.resourceUsage().maxRSS, processed: r ? r.processed : 0 }));`;
  const measure = (run: boolean): { rss: number; processed: number } | null => {
    const out = spawnSync(process.execPath, ['--input-type=module', '-e', script, resolve(dir, best!.row.object), best!.row.section, best!.row.func, best!.row.type, run ? '1' : '0'], { encoding: 'utf8', timeout: 600_000 });
    try { return JSON.parse(out.stdout) as { rss: number; processed: number }; } catch { return null; }
  };
  const base = measure(false);
  const full = measure(true);
  if (!base || !full) return null;
  return {
    group: 'verifier', name: 'peak RSS, largest program alone', value: Math.round(full.rss / 1024), unit: 'MB',
    anchor: 'same process, object loaded, nothing verified', anchorValue: Math.round(base.rss / 1024), ratio: Number((full.rss / base.rss).toFixed(2)),
    note: `${best.row.object} ${best.row.section}: ${full.processed} insns processed, in a fresh Node process`,
  };
}

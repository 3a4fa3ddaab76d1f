/**
 * Agreement with the running kernel over ../shared/modern-samples (libbpf-era objects with the
 * kernel's verdict per program in kernel-verdicts.json): how many objects bpflab refuses whole,
 * on how many of the programs the kernel judged bpflab gives the same verdict, and how many it
 * accepts where the kernel rejects. The objects are loaded as `bpflab verify` loads them (CO-RE,
 * externs, defaults), and each program is verified as the privileged loader loaded it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../isa/errors.js';
import { isProgType, type Program } from '../isa/program.js';
import { loadFile, type LoadOptions } from '../loader/index.js';
import { verify } from '../verifier/index.js';

/** One program of kernel-verdicts.json. */
export interface ModernVerdict {
  obj: string;
  name: string;
  section: string;
  prog_type: string;
  verdict: 'accept' | 'reject' | 'none';
  why?: string;
}

export interface ModernMiss {
  obj: string;
  name: string;
  kernel: 'accept' | 'reject';
  bpflab: 'accept' | 'reject' | 'refused' | 'missing';
  kind: string;
  message: string;
}

export interface ModernReport {
  objects: number;
  /** Objects that failed to load at all, with the reason. */
  refusedWhole: { obj: string; message: string }[];
  /** Programs with a kernel verdict (accept or reject). */
  judged: number;
  agree: number;
  acceptedWhereKernelRejects: number;
  misses: ModernMiss[];
  ms: number;
}

export function modernDir(): string {
  return resolve(fileURLToPath(new URL('../../', import.meta.url)), '../shared/modern-samples');
}

export function modernVerdicts(dir = modernDir()): ModernVerdict[] {
  const doc = JSON.parse(readFileSync(resolve(dir, 'kernel-verdicts.json'), 'utf8')) as { results: ModernVerdict[] };
  return doc.results;
}

export function haveModernSamples(dir = modernDir()): boolean {
  return existsSync(resolve(dir, 'kernel-verdicts.json'));
}

/**
 * Measures agreement. `filter` keeps some objects only (by path substring); `load` adds load
 * options (e.g. `{ btf: FILE }`); `onMiss` sees each disagreement as it is found.
 */
export async function measureModern(opts: { dir?: string; filter?: string; load?: LoadOptions; verbose?: (line: string) => void } = {}): Promise<ModernReport> {
  const dir = opts.dir ?? modernDir();
  const t0 = performance.now();
  const rows = modernVerdicts(dir).filter((r) => !opts.filter || r.obj.includes(opts.filter));
  const byObj = new Map<string, ModernVerdict[]>();
  for (const r of rows) {
    const list = byObj.get(r.obj);
    if (list) list.push(r);
    else byObj.set(r.obj, [r]);
  }
  const report: ModernReport = { objects: byObj.size, refusedWhole: [], judged: 0, agree: 0, acceptedWhereKernelRejects: 0, misses: [], ms: 0 };
  for (const [obj, list] of byObj) {
    const path = resolve(dir, obj);
    let programs: Program[] | undefined;
    let refused = '';
    try {
      programs = await loadFile(path, new Uint8Array(readFileSync(path)), opts.load ?? {});
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      refused = e.message;
      report.refusedWhole.push({ obj, message: e.message });
    }
    for (const row of list) {
      if (row.verdict !== 'accept' && row.verdict !== 'reject') continue;
      report.judged++;
      const miss = (bpflab: ModernMiss['bpflab'], kind: string, message: string) => {
        const m: ModernMiss = { obj, name: row.name, kernel: row.verdict as 'accept' | 'reject', bpflab, kind, message };
        report.misses.push(m);
        opts.verbose?.(`${obj} ${row.name}: kernel ${m.kernel}, bpflab ${bpflab} [${kind}] ${message}`);
      };
      if (!programs) { miss('refused', 'refused_whole', refused); continue; }
      let p = programs.find((x) => x.name === row.name && x.section === row.section) ?? programs.find((x) => x.name === row.name);
      if (!p) { miss('missing', 'missing', `no program '${row.name}' in section '${row.section}'`); continue; }
      // Sections libbpf maps to no type: the kernel got the type the project's loader uses.
      if (p.type !== row.prog_type && isProgType(row.prog_type)) {
        try {
          p = (await loadFile(path, new Uint8Array(readFileSync(path)), { ...opts.load, section: row.section, type: row.prog_type })).find((x) => x.name === row.name) ?? p;
        } catch (e) {
          if (!(e instanceof InputError)) throw e;
          miss('refused', 'refused', e.message);
          continue;
        }
      }
      const r = verify(p, { allowUninitStack: true });
      if (r.verdict === row.verdict) { report.agree++; continue; }
      if (r.verdict === 'accept') report.acceptedWhereKernelRejects++;
      miss(r.verdict, r.error?.kind ?? '', r.error ? `insn ${r.error.pc}: ${r.error.message}` : '');
    }
  }
  report.ms = performance.now() - t0;
  return report;
}

/** The figures as a few lines of text (the script's output). */
export function formatModern(r: ModernReport): string {
  const pct = r.judged ? ((100 * r.agree) / r.judged).toFixed(1) : '0';
  const lines = [
    `objects: ${r.objects}, refused whole: ${r.refusedWhole.length}`,
    `programs with a kernel verdict: ${r.judged}, same verdict: ${r.agree} (${pct} %), accepted where the kernel rejects: ${r.acceptedWhereKernelRejects}`,
  ];
  for (const o of r.refusedWhole) lines.push(`  refused: ${o.obj}: ${o.message.replace(/^.*?: program /, 'program ').slice(0, 160)}`);
  const byKind = new Map<string, number>();
  for (const m of r.misses) {
    const key = m.kind === 'unsupported' ? `unsupported: ${m.message.replace(/^insn \d+: /, '').slice(0, 100)}` : m.kind;
    byKind.set(key, (byKind.get(key) ?? 0) + 1);
  }
  for (const [k, n] of [...byKind].sort((a, b) => b[1] - a[1])) lines.push(`  ${String(n).padStart(4)}  ${k}`);
  lines.push(`${(r.ms / 1000).toFixed(1)} s`);
  return lines.join('\n');
}

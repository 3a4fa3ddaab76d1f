/**
 * Report build cost: `bpflab report`'s work (one recording verification, explain with Z3 and
 * verified fixes for a rejection, the HTML) for a long rejected program and, when
 * ../shared/corpus-samples is there, the 2,852-insn cilium program; in CPU milliseconds (Z3's
 * threads included) beside the kernel's BPF_PROG_LOAD of the same program in the same run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Program } from '../isa/program.js';
import { loadAsmProgram } from '../loader/asm.js';
import { loadFile } from '../loader/index.js';
import { buildReportInput, renderHtmlReport } from '../report/index.js';
import type { BenchOptions, BenchRow, BenchSuite } from './types.js';
import { samplesDir } from './verifier.js';

/** A rejected XDP program of about 8 insns per diamond: `diamonds` branches on a ctx field, then a read 2 bytes past the checked packet length. */
export function longRejected(diamonds: number): Program {
  const lines = ['.type xdp', '    r2 = *(u32 *)(r1 +0)', '    r3 = *(u32 *)(r1 +4)', '    r6 = *(u32 *)(r1 +12)'];
  for (let i = 0; i < diamonds; i++)
    lines.push('    r0 = r6', '    r0 &= 1', `    if r0 == 0 goto s${i}`, '    r8 = 5', '    r8 += 1', '    r8 *= 3', '    r8 -= 2', `s${i}:`, '    r9 = 7');
  lines.push('    r4 = r2', '    r4 += 14', '    if r4 > r3 goto drop', '    r0 = *(u32 *)(r2 +12)', 'drop:', '    r0 = 2', '    exit');
  return loadAsmProgram(lines.join('\n') + '\n', 'long-rejected.s', {});
}

async function cilium(): Promise<Program | null> {
  const file = resolve(samplesDir(), 'cilium-core/bpf_overlay.o');
  if (!existsSync(file)) return null;
  const ps = await loadFile(file, new Uint8Array(readFileSync(file)), { type: 'sched_cls' }).catch(() => []);
  return ps.find((p) => p.name === 'tail_handle_ipv6' || p.section === 'tail_handle_ipv6') ?? null;
}

export const suite: BenchSuite = async (opts: BenchOptions): Promise<BenchRow[]> => {
  const k = await import('../kernel/index.js').catch(() => null);
  const avail = k?.kernelAvailable() ?? { ok: false, reason: 'kernel binding not loadable' };
  const cases: { name: string; program: Program }[] = [{ name: `${opts.quick ? '2,700' : '10,000'}-insn rejected program, with explain and fixes`, program: longRejected(opts.quick ? 300 : 1248) }];
  const cil = await cilium();
  if (cil) cases.push({ name: `cilium tail_handle_ipv6 (${cil.insns.length} insns)`, program: cil });
  const rows: BenchRow[] = [];
  for (const { name, program } of cases) {
    opts.progress(`report: ${name}`);
    const c0 = process.cpuUsage();
    const input = await buildReportInput(program.name, [program]);
    const bytes = renderHtmlReport(input).length;
    const cu = process.cpuUsage(c0);
    const row: BenchRow = { group: 'report', name, value: Number(((cu.user + cu.system) / 1000).toFixed(1)), unit: 'ms CPU', note: `${(bytes / 1e6).toFixed(2)} MB; ${input.programs[0]!.result.verdict}` };
    if (k && avail.ok) {
      try {
        const load = k.progLoad(program, { logLevel: 0 });
        if (load.fd !== null) k.closeFd(load.fd);
        row.anchor = 'kernel verifier (BPF_PROG_LOAD)';
        row.anchorValue = Number(load.ms.toFixed(3));
        row.ratio = Number((row.value / load.ms).toFixed(1));
      } catch (e) {
        row.note += `; no kernel anchor: ${e instanceof Error ? e.message : String(e)}`;
      }
    } else row.note += `; kernel unavailable: ${avail.reason}`;
    rows.push(row);
  }
  const ex = await import('../smt/explain/index.js').catch(() => null);
  await ex?.closeExplain();
  return rows;
};

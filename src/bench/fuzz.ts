/**
 * Fuzzing benchmark (SPEC section 5): programs per second per core, end to end -- generate a
 * case, verify it, run accepted programs on the checked VM (the sanitize oracle) -- measured in
 * CPU time of this thread so that other load on the machine does not count. Anchor: the running
 * kernel's BPF_PROG_LOAD (verifier) on the same programs, when available.
 */
import fc from 'fast-check';
import { performance } from 'node:perf_hooks';
import type { Program } from '../isa/program.js';
import { caseArb } from '../fuzz/campaign.js';
import { sanitizeOracle } from '../fuzz/oracles/sanitize.js';
import { FUZZ_VERIFY_OPTIONS, type FuzzCase } from '../fuzz/oracles/types.js';
import { verify, type VerifyResult } from '../verifier/index.js';
import type { BenchRow, BenchSuite } from './types.js';

const cpuSeconds = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

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

export const suite: BenchSuite = async (opts) => {
  const budget = opts.quick ? 1.5 : 8; // CPU seconds
  const arb = caseArb({ structured: 1 });
  const oracle = sanitizeOracle();
  const seen: Program[] = [];
  let runs = 0;
  let accepted = 0;
  let seed = 1;
  let verifyCpu = 0;
  const c0 = cpuSeconds();
  const t0 = performance.now();
  while (cpuSeconds() - c0 < budget) {
    for (const c of fc.sample(arb, { numRuns: 10, seed: seed++ }) as FuzzCase[]) {
      let v: VerifyResult | undefined;
      const v0 = cpuSeconds();
      v = verify(c.program, FUZZ_VERIFY_OPTIONS);
      verifyCpu += cpuSeconds() - v0;
      const verdict = v;
      oracle.check(c, { verdict: () => verdict });
      runs++;
      if (v.verdict === 'accept') accepted++;
      if (seen.length < 300) seen.push(c.program);
    }
  }
  const cpu = cpuSeconds() - c0;
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
  return [
    row,
    { group: 'fuzz', name: 'verifier share of end-to-end time', value: (100 * verifyCpu) / cpu, unit: '%' },
    { group: 'fuzz', name: 'generator acceptance rate', value: (100 * accepted) / runs, unit: '%', note: `${runs} structured programs` },
  ];
};

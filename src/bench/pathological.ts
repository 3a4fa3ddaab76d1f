/**
 * Pathological programs for the verifier rows of the benchmark table: each stresses one limit of
 * the exploration (pending branches, the processed-instruction limit, path length, program
 * length) and is measured beside the running kernel's BPF_PROG_LOAD of the same instructions.
 */
import { performance } from 'node:perf_hooks';
import { decodeInsns, encodeInsns } from '../isa/decode.js';
import { type Insn, makeInsn } from '../isa/insn.js';
import type { Program } from '../isa/program.js';
import { verify } from '../verifier/index.js';
import type { BenchRow } from './types.js';

const ins = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn => makeInsn(code, dst, src, off, imm);
const movK = (dst: number, imm: number): Insn => ins(0xb7, dst, 0, 0, imm);
const EXIT = ins(0x95);

/**
 * The program as the kernel and the loaders receive it: encoded bytes, decoded as every ELF or
 * raw input is. Built here from object literals instead, the instruction array would have another
 * elements kind than every program the verifier met before in this process (the corpus rows run
 * first), and the row would time V8 discarding and recompiling the verifier's optimised code.
 */
function program(name: string, insns: Insn[]): Program {
  return { name, section: '', type: 'socket_filter', insns: decodeInsns(encodeInsns(insns), { validate: false }), maps: [], license: 'GPL' };
}

/** `n` independent diamonds `if r1 == i goto +1; r0 = i` on an unknown r1 (skb->len). */
export function independentBranches(n: number): Program {
  const insns: Insn[] = [ins(0x61, 1, 1, 0, 0), movK(0, 0)];
  for (let i = 0; i < n; i++) insns.push(ins(0x15, 1, 0, 1, i), movK(0, i));
  insns.push(EXIT);
  return program(`${n} independent branches`, insns);
}

/** Two nested counted loops of `outer` x `inner` iterations (1000 x 1000 exceeds the 1M limit). */
export function nestedLoops(outer: number, inner: number): Program {
  return program(`nested loops ${outer}x${inner}`, [
    movK(1, 0), movK(2, 0), ins(0x07, 2, 0, 0, 1), ins(0xa5, 2, 0, -2, inner),
    ins(0x07, 1, 0, 0, 1), ins(0xa5, 1, 0, -5, outer), movK(0, 0), EXIT,
  ]);
}

/** A straight line of `n` insns whose second-to-last reads r5, never written (`R5 !read_ok`). */
export function straightLineReject(n: number): Program {
  const insns: Insn[] = [];
  for (let i = 0; i < n - 2; i++) insns.push(movK(0, i));
  insns.push(ins(0x0f, 0, 5), EXIT);
  return program(`${n}-insn straight line, rejected`, insns);
}

/** `n` insns of `r0 = 0` and an exit: over 1,000,000 the kernel refuses it with E2BIG. */
export function longProgram(n: number): Program {
  const insns: Insn[] = [];
  for (let i = 0; i < n - 1; i++) insns.push(movK(0, 0));
  insns.push(EXIT);
  return program(`${n}-insn program`, insns);
}

type Kernel = typeof import('../kernel/index.js');

const cpuMs = (since: NodeJS.CpuUsage): number => { const u = process.cpuUsage(since); return (u.user + u.system) / 1000; };

/** Runs per side: the row's figure is the median run, the same rule for bpflab and the kernel. */
const ROUNDS = 3;

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** The run with the median CPU time. */
function medianRun(runs: readonly { cpu: number; wall: number }[]): { cpu: number; wall: number } {
  return [...runs].sort((a, b) => a.cpu - b.cpu)[runs.length >> 1]!;
}

/** One row per pathological program: bpflab's time and verdict beside the kernel's. */
export function pathologicalRows(k: Kernel | null, quick: boolean): BenchRow[] {
  const cases = [
    independentBranches(quick ? 10_000 : 100_000),
    nestedLoops(1000, 1000),
    straightLineReject(130_000),
    longProgram(1_000_001),
  ];
  const rows: BenchRow[] = [];
  for (const p of cases) {
    // CPU time of this thread: on a shared machine wall time mostly measures the other load.
    // Each side runs ROUNDS times and the median is the figure (the first, cold run of bpflab also
    // pays V8's compilation of code this program is the first to reach; it is in the note).
    const runs: { cpu: number; wall: number }[] = [];
    const timed = (): ReturnType<typeof verify> => {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const result = verify(p);
      runs.push({ cpu: cpuMs(c0), wall: performance.now() - t0 });
      return result;
    };
    const r = timed();
    for (let round = 1; round < ROUNDS; round++) timed();
    const cold = runs[0]!;
    let { cpu, wall } = medianRun(runs);
    // A refusal that takes well under a millisecond on both sides: average many runs, or the
    // ratio measures the clocks' resolution.
    const repeat = cpu < 1 ? 200 : 1;
    if (repeat > 1) {
      const c1 = process.cpuUsage();
      const t1 = performance.now();
      for (let i = 0; i < repeat; i++) verify(p);
      wall = (performance.now() - t1) / repeat;
      cpu = cpuMs(c1) / repeat;
    }
    const mine = r.error ? r.error.message.split('\n')[0]! : 'accepted';
    const fmt = (ms: number): string => (ms < 10 ? ms.toFixed(3) : ms.toFixed(0));
    const row: BenchRow = { group: 'verifier', name: p.name, value: Number(cpu < 1 ? cpu.toFixed(4) : cpu.toFixed(1)), unit: 'ms CPU',
      note: `bpflab: ${mine} (${r.processed} insns, ${fmt(wall)} ms wall${repeat > 1 ? `, mean of ${repeat}` : `, median of ${ROUNDS}; first run ${fmt(cold.cpu)} ms CPU`})` };
    if (k) {
      const times: number[] = [];
      let kmsg = '';
      for (let round = 0; round < ROUNDS; round++) {
        const l = k.progLoad(p, { logLevel: 0 });
        if (l.fd !== null) k.closeFd(l.fd);
        kmsg = l.verdict === 'accept' ? 'accepted' : `${l.errno}${l.processed !== undefined ? `, ${l.processed} insns` : ''}`;
        // The kernel's own "verification time" when it printed one (E2BIG refusals print nothing).
        // (l.ms times the syscall alone, not the marshalling of the instructions around it.)
        times.push(l.verifyUs !== undefined ? l.verifyUs / 1000 : l.ms);
      }
      const kms = median(times);
      row.anchor = 'kernel verifier (BPF_PROG_LOAD)';
      row.anchorValue = Number(kms.toFixed(2));
      row.ratio = Number((cpu / Math.max(kms, 0.01)).toFixed(2));
      row.note += `; kernel: ${kmsg}, median of ${ROUNDS}`;
    }
    rows.push(row);
  }
  return rows;
}

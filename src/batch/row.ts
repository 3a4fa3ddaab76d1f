/**
 * One row of a batch run: a program of a file, bpflab's verdict and statistics under veristat's
 * names, the error, and (with --kernel) the running kernel's verdict and statistics beside them.
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../isa/errors.js';
import type { Program } from '../isa/program.js';
import { kernelVerdict, type KernelVerdict } from '../kernel/verdict.js';
import { loadFile, type LoadOptions } from '../loader/index.js';
import { verify, type VerifyOptions, type VerifyResult } from '../verifier/index.js';

export type VeristatVerdict = 'success' | 'failure';

/** The running kernel's side of a row (veristat's columns measured on BPF_PROG_LOAD). */
export interface KernelColumns {
  verdict: VeristatVerdict | 'unavailable';
  durationUs: number | null;
  totalInsns: number | null;
  totalStates: number | null;
  peakStates: number | null;
  maxStatesPerInsn: number | null;
  markRead: number | null;
  message: string;
}

export interface BatchRow {
  /** The file as named on the command line (or found in a folder). */
  file: string;
  /** The program's function name (veristat's Program). */
  program: string;
  section: string;
  type: string;
  /** Instructions in the program (not processed). */
  size: number;
  verdict: VeristatVerdict;
  durationUs: number;
  /** insn_processed. */
  totalInsns: number;
  totalStates: number;
  peakStates: number;
  maxStatesPerInsn: number;
  /** The kernel's mark_read statistic; bpflab tracks liveness without read marks, so always 0. */
  markRead: number;
  /** The error kind (docs/verifier-error-kinds.md), `load` when the file did not load, '' when accepted. */
  errorKind: string;
  errorPc: number | null;
  message: string;
  /** With explain: real | false_alarm | undecided (rejected programs only). */
  explain?: string;
  kernel?: KernelColumns;
}

export interface RowOptions {
  load?: LoadOptions;
  verify?: VerifyOptions;
  kernel?: boolean;
  explain?: boolean;
}

export function kernelColumns(k: KernelVerdict): KernelColumns {
  const n = (v: number | undefined): number | null => (v === undefined ? null : v);
  return {
    verdict: k.verdict === 'unavailable' ? 'unavailable' : k.verdict === 'accept' ? 'success' : 'failure',
    durationUs: k.verificationUs ?? (k.ms === undefined ? null : Math.round(k.ms * 1000)),
    totalInsns: n(k.processed), totalStates: n(k.totalStates), peakStates: n(k.peakStates),
    maxStatesPerInsn: n(k.maxStatesPerInsn), markRead: n(k.markRead), message: k.message,
  };
}

/** The row of one verified program. */
export function programRow(file: string, p: Program, r: VerifyResult): BatchRow {
  return {
    file, program: p.name, section: p.section, type: p.type, size: p.insns.length,
    verdict: r.verdict === 'accept' ? 'success' : 'failure',
    durationUs: Math.round(r.ms * 1000), totalInsns: r.processed, totalStates: r.states, peakStates: r.peakStates,
    maxStatesPerInsn: r.maxStatesPerInsn, markRead: 0,
    errorKind: r.error?.kind ?? '', errorPc: r.error?.pc ?? null, message: r.error?.message ?? '',
  };
}

/** A file that did not load: one failing row naming why (a batch run goes on with the next file). */
export function loadErrorRow(file: string, e: unknown): BatchRow {
  const message = e instanceof Error ? e.message.split('\n')[0]! : String(e);
  return {
    file, program: '-', section: '', type: '', size: 0, verdict: 'failure', durationUs: 0, totalInsns: 0, totalStates: 0,
    peakStates: 0, maxStatesPerInsn: 0, markRead: 0, errorKind: 'load', errorPc: null, message,
  };
}

/** Loads `file` and verifies each of its programs (and asks the kernel / explain when told to). */
export async function verifyFileRows(file: string, opts: RowOptions = {}): Promise<BatchRow[]> {
  let programs: Program[];
  try {
    programs = await loadFile(file, new Uint8Array(readFileSync(file)), opts.load ?? {});
  } catch (e) {
    if (e instanceof InputError || (e as NodeJS.ErrnoException).code !== undefined) return [loadErrorRow(file, e)];
    throw e;
  }
  const rows: BatchRow[] = [];
  for (const p of programs) {
    const r = verify(p, opts.verify ?? {});
    const row = programRow(file, p, r);
    if (opts.kernel) row.kernel = kernelColumns(await kernelVerdict(p, { strictAlignment: opts.verify?.strictAlignment === true }));
    if (opts.explain && r.verdict === 'reject') {
      const { explainProgram } = await import('../smt/explain/index.js');
      const ex = await explainProgram(p, { ...(opts.verify && { verify: opts.verify }), noImprecision: true });
      row.explain = ex.feasible === true ? 'real' : ex.feasible === false ? 'false_alarm' : 'undecided';
    }
    rows.push(row);
  }
  return rows;
}

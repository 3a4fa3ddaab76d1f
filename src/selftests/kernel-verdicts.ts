/**
 * Recorded kernel verdicts (the `kernel-verdicts.json` format of ../shared/kernel-selftests) and
 * the agreement figures between them and bpflab's results.
 */
import { InputError } from '../isa/errors.js';
import type { TestResult } from './run.js';

/** One row of kernel-verdicts.json's `results`. */
export interface KernelVerdict {
  file: string;
  name: string;
  /** `error` / `skip`: the kernel could not load this program type at all on that machine. */
  verdict: 'accept' | 'reject' | 'error' | 'skip';
  flags?: number;
  errno?: number;
  /** The last lines of the kernel's log. */
  message?: string[];
  /** Whether the kernel's log holds every __msg pattern. */
  msgs_in_log?: boolean;
  retval?: number;
  processed?: number;
  why?: string;
}

export type KernelVerdicts = Map<string, KernelVerdict>;

const key = (file: string, name: string): string => `${file}/${name}`;

/** Parses kernel-verdicts.json text; throws InputError naming the file. */
export function parseKernelVerdicts(text: string, path: string): KernelVerdicts {
  let doc: unknown;
  try { doc = JSON.parse(text); } catch (e) { throw new InputError('format', `${path}: not valid JSON (${(e as Error).message})`); }
  const results = (doc as { results?: unknown }).results;
  if (!Array.isArray(results)) throw new InputError('format', `${path}: no "results" array`);
  const out: KernelVerdicts = new Map();
  results.forEach((r: unknown, i) => {
    const row = r as Partial<KernelVerdict>;
    if (typeof row?.file !== 'string' || typeof row.name !== 'string' || !['accept', 'reject', 'error', 'skip'].includes(row.verdict as string))
      throw new InputError('format', `${path}: results[${i}] needs "file", "name" and "verdict" (accept|reject|error|skip)`);
    out.set(key(row.file, row.name), row as KernelVerdict);
  });
  return out;
}

export function kernelVerdictOf(v: KernelVerdicts, t: Pick<TestResult, 'file' | 'name'>): KernelVerdict | undefined {
  return v.get(key(t.file, t.name));
}

/** Agreement figures over tests the kernel gave a verdict on. */
export interface Agreement {
  /** Tests with a kernel accept/reject verdict. */
  withKernelVerdict: number;
  /** bpflab's verdict equals the kernel's. */
  agree: number;
  /** bpflab accepts, the kernel rejects (unsound). */
  acceptedKernelRejects: number;
  /** bpflab rejects, the kernel accepts (imprecise). */
  rejectedKernelAccepts: number;
  /** bpflab gives no verdict (load error, construct not modelled). */
  noVerdict: number;
  /** Both reject: __msg patterns (or, where 6.18 words it differently, the kernel's message) found in bpflab's log. */
  bothReject: number;
  msgMatch: number;
  /** Both accept and the kernel ran it with a retval: bpflab's VM returns the same. */
  retvalRuns: number;
  retvalMatch: number;
}

export function emptyAgreement(): Agreement {
  return { withKernelVerdict: 0, agree: 0, acceptedKernelRejects: 0, rejectedKernelAccepts: 0, noVerdict: 0, bothReject: 0, msgMatch: 0, retvalRuns: 0, retvalMatch: 0 };
}

/** Whether bpflab's rejection says what the kernel said (used when both reject). */
export function messageMatches(t: TestResult, k: KernelVerdict): boolean {
  if (t.msgs.length > 0 && k.msgs_in_log !== false) return t.msgUnmatched < 0;
  // No patterns, or 6.18 words it differently than the 6.12 patterns: compare with the kernel's own
  // last log lines (the error line and the kernel's second line, when there is one).
  const ours = t.error?.message;
  if (!ours) return false;
  const lines = (k.message ?? []).filter((l) => !/^\d+: \(/.test(l) && !/^processed \d+ insns/.test(l));
  return lines.some((l) => l.includes(ours) || ours.includes(l));
}

/**
 * Adds one result to the figures. A whole object that failed to load (name `*`) counts as no
 * verdict for every test of that object the kernel has a verdict on.
 */
export function addResult(a: Agreement, t: TestResult, v: KernelVerdicts): void {
  if (t.name !== '*') { addAgreement(a, t, kernelVerdictOf(v, t)); return; }
  for (const k of v.values()) if (k.file === t.file && (k.verdict === 'accept' || k.verdict === 'reject')) { a.withKernelVerdict++; a.noVerdict++; }
}

/** Adds one test to the figures. */
export function addAgreement(a: Agreement, t: TestResult, k: KernelVerdict | undefined): void {
  if (!k || (k.verdict !== 'accept' && k.verdict !== 'reject') || t.skipped) return;
  a.withKernelVerdict++;
  if (t.verdict === 'error') { a.noVerdict++; return; }
  if (t.verdict === k.verdict) a.agree++;
  else if (t.verdict === 'accept') a.acceptedKernelRejects++;
  else a.rejectedKernelAccepts++;
  if (t.verdict === 'reject' && k.verdict === 'reject') {
    a.bothReject++;
    if (messageMatches(t, k)) a.msgMatch++;
  }
  if (t.verdict === 'accept' && k.verdict === 'accept' && k.retval !== undefined && t.retval) {
    a.retvalRuns++;
    if (t.retval.actual === (k.retval | 0)) a.retvalMatch++;
  }
}

export function sumAgreement(a: Agreement, b: Agreement): Agreement {
  const out = emptyAgreement();
  for (const k of Object.keys(out) as (keyof Agreement)[]) out[k] = a[k] + b[k];
  return out;
}

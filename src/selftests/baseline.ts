/**
 * The agreement figures recorded in a repository file, and the check that a run does not fall
 * behind them: fewer tests agreeing with the kernel, or more programs accepted that the kernel
 * rejects, is a regression.
 */
import { InputError } from '../isa/errors.js';
import type { Agreement } from './kernel-verdicts.js';

export interface Baseline {
  about: string;
  total: Agreement;
  files: Record<string, Agreement>;
}

export function parseBaseline(text: string, path: string): Baseline {
  let doc: Partial<Baseline>;
  try { doc = JSON.parse(text) as Partial<Baseline>; } catch (e) { throw new InputError('format', `${path}: not valid JSON (${(e as Error).message})`); }
  const t = doc.total;
  if (!t || typeof t.agree !== 'number' || typeof t.acceptedKernelRejects !== 'number' || typeof doc.files !== 'object' || doc.files === null)
    throw new InputError('format', `${path}: needs "total" (with "agree", "acceptedKernelRejects") and "files"`);
  return doc as Baseline;
}

export function makeBaseline(total: Agreement, files: Record<string, Agreement>): Baseline {
  return {
    about: 'Agreement of bpflab with the running kernel on ../shared/kernel-selftests (bpflab selftests ../shared/kernel-selftests/obj --kernel-verdicts ../shared/kernel-selftests/kernel-verdicts.json --baseline test/fixtures/selftests-baseline.json --update-baseline). A run regresses when total.agree drops or total.acceptedKernelRejects grows.',
    total,
    files,
  };
}

/** Regressions of `now` against `base`, one line each (empty: none). */
export function regressions(base: Baseline, now: Agreement, files: Record<string, Agreement>): string[] {
  const out: string[] = [];
  if (now.agree < base.total.agree) {
    const lost = Object.entries(base.files).filter(([f, a]) => (files[f]?.agree ?? 0) < a.agree).map(([f, a]) => `${f} ${a.agree} -> ${files[f]?.agree ?? 0}`);
    out.push(`agreement with the kernel fell from ${base.total.agree} to ${now.agree} tests${lost.length ? ` (${lost.join(', ')})` : ''}`);
  }
  if (now.acceptedKernelRejects > base.total.acceptedKernelRejects) {
    const more = Object.entries(files).filter(([f, a]) => a.acceptedKernelRejects > (base.files[f]?.acceptedKernelRejects ?? 0)).map(([f]) => f);
    out.push(`programs accepted that the kernel rejects rose from ${base.total.acceptedKernelRejects} to ${now.acceptedKernelRejects}${more.length ? ` (${more.join(', ')})` : ''}`);
  }
  return out;
}

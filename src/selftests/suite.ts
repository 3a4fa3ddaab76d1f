/** A whole run over many objects: per-file counts and, with kernel verdicts, agreement figures. */
import { addResult, emptyAgreement, sumAgreement, type Agreement, type KernelVerdicts } from './kernel-verdicts.js';
import { runObject, type RunOptions, type TestResult } from './run.js';

export interface FileSummary {
  file: string;
  passed: number;
  failed: number;
  skipped: number;
  agreement?: Agreement;
}

export interface SuiteResult {
  tests: TestResult[];
  files: FileSummary[];
  passed: number;
  failed: number;
  skipped: number;
  /** With kernel verdicts. */
  agreement?: Agreement;
}

/** Runs the objects at `paths` (read with `read`) in order. */
export async function runSuite(paths: readonly string[], read: (path: string) => Uint8Array, verdicts?: KernelVerdicts,
  opts: RunOptions = {}, onFile?: (summary: FileSummary, results: readonly TestResult[]) => void): Promise<SuiteResult> {
  const out: SuiteResult = { tests: [], files: [], passed: 0, failed: 0, skipped: 0 };
  if (verdicts) out.agreement = emptyAgreement();
  for (const path of paths) {
    const results = await runObject(path, read(path), opts);
    if (results.length === 0) continue;
    const row: FileSummary = { file: results[0]!.file, passed: 0, failed: 0, skipped: 0 };
    if (verdicts) row.agreement = emptyAgreement();
    for (const t of results) {
      if (t.skipped) row.skipped++;
      else if (t.passed) row.passed++;
      else row.failed++;
      if (row.agreement) addResult(row.agreement, t, verdicts!);
    }
    out.passed += row.passed;
    out.failed += row.failed;
    out.skipped += row.skipped;
    if (row.agreement) out.agreement = sumAgreement(out.agreement!, row.agreement);
    out.tests.push(...results);
    out.files.push(row);
    onFile?.(row, results);
  }
  return out;
}

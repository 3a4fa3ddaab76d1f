/**
 * Gathers a report's input: verifies every program (with the log, for per-instruction
 * states), asks `explain` about each rejected one when that module is present, and the
 * running kernel when asked to.
 */
import type { Program } from '../isa/program.js';
import type { VerifyOptions, VerifyResult } from '../verifier/index.js';
import type { ExplainReport, KernelVerdictInput, ProgramReportInput, ReportInput } from './model.js';
import { REPORT_EXPLAIN_PATH, verifyWithStates } from './states.js';

export interface BuildReportOptions {
  verify?: VerifyOptions;
  /** Run explain on rejected programs when available (default true). */
  explain?: boolean;
  /** Load each program into the running kernel too. */
  kernel?: (p: Program) => Promise<KernelVerdictInput>;
  /** Above this many processed insns, no path states are recorded (default 200,000). */
  maxLogInsns?: number;
  /** Above this many processed pcs, states are embedded for the failing path's end and the failing pc's surroundings only (default 200,000). */
  maxStateRows?: number;
}

/** What the report needs from an explain implementation. */
export type Explainer = (program: Program, options: VerifyOptions, verified?: VerifyResult) => Promise<ExplainReport | null>;

let explainer: Explainer | null | undefined;

/**
 * The explain entry point (src/smt/explain), imported lazily: it brings in Z3, which a report
 * of accepted programs never needs. null when it cannot be loaded.
 */
export async function loadExplainer(): Promise<Explainer | null> {
  if (explainer !== undefined) return explainer;
  try {
    const mod = await import('../smt/explain/index.js');
    // a report is built in seconds: it explains failing paths up to REPORT_EXPLAIN_PATH steps
    explainer = async (p, o, verified) => mod.explainProgram(p, { verify: o, fix: true, maxPath: REPORT_EXPLAIN_PATH, pathBudgetMs: 10_000, ...(verified && { verified }) });
  } catch {
    explainer = null;
  }
  return explainer;
}

/** Verifies `programs` and collects everything a report shows. */
export async function buildReportInput(file: string, programs: readonly Program[], opts: BuildReportOptions = {}): Promise<ReportInput> {
  const maxLog = opts.maxLogInsns ?? 200_000;
  const out: ProgramReportInput[] = [];
  for (const p of programs) {
    // one run records the verdict and a state per pc; rejected programs also get their path's states
    const { result, states, withPathStates } = verifyWithStates(p, opts.verify ?? {}, maxLog, opts.maxStateRows);
    const item: ProgramReportInput = { program: p, result, states };
    // explain re-verifies with a log and encodes the whole path: pointless for exploration limits.
    if (result.verdict === 'reject' && (opts.explain ?? true) && result.processed <= maxLog && result.error?.kind !== 'too_large') {
      const ex = await loadExplainer();
      if (ex) {
        try {
          item.explain = await ex(p, opts.verify ?? {}, withPathStates ?? result);
        } catch (e) {
          item.explain = { feasible: null, reason: `explain failed: ${e instanceof Error ? e.message : String(e)}` };
        }
      }
    }
    if (opts.kernel) item.kernel = await opts.kernel(p);
    out.push(item);
  }
  return { file, programs: out };
}

/**
 * A fuzzing campaign in one thread: fast-check generates cases and runs every oracle on each; the
 * first case showing a *new* problem (a signature not seen yet) fails the property, fast-check
 * shrinks it -- accepting only smaller cases with the same signature, so the minimised case shows
 * the same bug -- and the campaign records it and goes on with the next seed. Known signatures
 * count as duplicates and never stop the search again.
 */
import fc from 'fast-check';
import { performance } from 'node:perf_hooks';
import type { Program } from '../isa/program.js';
import type { VerifyOptions, VerifyResult } from '../verifier/index.js';
import { DEFAULT_PROGRAM_SECONDS, OverBudget, budgetedVerify, withProgramBudget } from './budget.js';
import { type Finding, type OracleName, signature } from './finding.js';
import type { CoverageFeedback, CoverageStats } from './guided/guidance.js';
import { minimiseInsns } from './minimise.js';
import { warmUpEncodings } from './encoding-warm-up.js';
import { inputArb } from './generators/inputs.js';
import { programArb, type ShapeOptions } from './generators/program.js';
import { mutatedProgramArb, rawProgramArb, seedMutantArb } from './generators/raw.js';
import { modernProgramArb } from './generators/modern.js';
import { FUZZ_VERIFY_OPTIONS, type CaseContext, type FuzzCase, type Oracle, type VerifyFn } from './oracles/types.js';

export interface CaseOptions extends ShapeOptions {
  /** Seed programs for mutation (corpus, examples). */
  seeds?: readonly Program[];
  /** Share of structured programs, 0..1 (default 0.8); the rest are mutants and raw programs. */
  structured?: number;
  /** Of the rest, the share of seed programs and their mutants (default 0.4; a quarter of them as they are). */
  seedShare?: number;
  /** Of the structured share, the part from the dynptr/kfunc/BTF-pointer generator (generators/modern.ts; default 0.15). */
  modern?: number;
}

/** Fuzz cases: mostly structured programs, some mutants (of structured and seed programs) and raw ones; 1-3 inputs each. */
export function caseArb(opts: CaseOptions = {}): fc.Arbitrary<FuzzCase> {
  const structured = programArb(opts);
  const share = Math.round((opts.structured ?? 0.8) * 100);
  const rest = 100 - share;
  const modern = Math.round(share * (opts.modern ?? 0.15));
  const programs: { weight: number; arbitrary: fc.Arbitrary<Program> }[] = [{ weight: share - modern, arbitrary: structured }, { weight: modern, arbitrary: modernProgramArb() }];
  if (rest > 0) {
    const hasSeeds = opts.seeds !== undefined && opts.seeds.length > 0;
    const seedShare = hasSeeds ? opts.seedShare ?? 0.4 : 0;
    const other = rest * (1 - seedShare);
    programs.push({ weight: Math.ceil(other * 5 / 7), arbitrary: mutatedProgramArb(structured) });
    programs.push({ weight: Math.ceil(other * 2 / 7), arbitrary: rawProgramArb });
    if (hasSeeds && seedShare > 0) {
      programs.push({ weight: Math.ceil(rest * seedShare * 0.75), arbitrary: seedMutantArb(opts.seeds!) });
      // The seeds as they are, on new inputs: a corpus program near a bug may need only the right input.
      programs.push({ weight: Math.ceil(rest * seedShare * 0.25), arbitrary: fc.constantFrom(...opts.seeds!) });
    }
  }
  return fc.record({ program: fc.oneof(...programs.filter((p) => p.weight > 0)), inputs: fc.array(inputArb, { minLength: 1, maxLength: 3 }) });
}

export interface CampaignStats {
  /** Cases generated and checked (shrinking steps not counted). */
  runs: number;
  /** Of those, programs the verifier accepted. */
  accepted: number;
  /** New (deduplicated) findings. */
  findings: number;
  /** Cases that showed an already-known problem. */
  duplicates: number;
  /** Cases that went past the per-program time budget (cut, or finished late); each is recorded as a `slow` finding once per oracle and stage. */
  overBudget?: number;
  seconds: number;
  /** Seconds spent shrinking. */
  shrinkSeconds: number;
  /** Findings dropped because the re-check did not confirm them (see CampaignOptions.recheck). */
  unconfirmed: number;
  /** While a finding is being minimised: its signature and the shrink steps so far. */
  shrinking?: { signature: string; steps: number };
  /** Verifier coverage reached (with CampaignOptions.coverage). */
  coverage?: CoverageStats;
}

export interface FoundBug {
  signature: string;
  finding: Finding;
  /** Instructions before and after shrinking. */
  originalInsns: number;
  /** Seed of the fast-check run that found it (replays the campaign step). */
  seed: number;
  /** Shrink steps taken, and whether a time limit (rather than the step budget) ended shrinking. */
  shrinkSteps: number;
  shrinkCut?: 'time';
  /** A `slow` finding: how long its case took (ms). A slower case of the same kind replaces it (slowerBug). */
  slowMs?: number;
}

/** A slow finding is a `slow:<stage>` kind: not shrunk, and the slowest case of the kind is kept. */
export const isSlowKind = (kind: string): boolean => kind.startsWith('slow:');

/**
 * Whether slow finding `a` is worse than `b` of the same kind: it took longer; equal times go to
 * the smaller program, then to the lower encoding -- a total order, so which one a campaign keeps
 * does not depend on the order workers or jobs report them in.
 */
export function slowerBug(a: FoundBug, b: FoundBug): boolean {
  const ta = a.slowMs ?? 0, tb = b.slowMs ?? 0;
  if (ta !== tb) return ta > tb;
  const pa = a.finding.program.insns, pb = b.finding.program.insns;
  if (pa.length !== pb.length) return pa.length < pb.length;
  for (let i = 0; i < pa.length; i++) {
    const x = pa[i]!, y = pb[i]!;
    const d = x.code - y.code || x.dst - y.dst || x.src - y.src || x.off - y.off || x.imm - y.imm;
    if (d !== 0) return d < 0;
  }
  return false;
}

/**
 * Adds `bug` to `found` unless its signature is there already; of a slow kind, a slower case
 * replaces the one kept (in place). Says which happened.
 */
export function keepFinding(found: FoundBug[], bug: FoundBug): 'new' | 'replaced' | 'duplicate' {
  const i = found.findIndex((b) => b.signature === bug.signature);
  if (i < 0) { found.push(bug); return 'new'; }
  if (!isSlowKind(bug.finding.kind) || !slowerBug(bug, found[i]!)) return 'duplicate';
  found[i] = bug;
  return 'replaced';
}

export interface CampaignOptions {
  oracles: readonly Oracle[];
  verify: VerifyFn;
  seed: number;
  /** Stop after this many seconds (default: no time limit; give `runs` or `seconds`). */
  seconds?: number;
  /** Stop after this many cases. */
  runs?: number;
  /** Stop after this many fast-check runs (batches): seeds seed .. seed + batches - 1 (see job.ts). */
  batches?: number;
  /** Cases to check (default caseArb()). */
  arb?: fc.Arbitrary<FuzzCase>;
  /** Signatures already found (by other workers or earlier); updated as findings are made. */
  known?: Set<string>;
  /**
   * Time budget for checking one program with all the oracles (default DEFAULT_PROGRAM_SECONDS; see
   * budget.ts): verifications past it are cut, other stages stop at their next check; the case is
   * counted in `overBudget` and recorded as a `slow` finding. Shrinking steps get it too (an
   * over-budget candidate is not kept).
   */
  programSeconds?: number;
  /** Time budget for shrinking one finding (default 30 s; the campaign's end bounds it too). */
  shrinkSeconds?: number;
  /**
   * Shrink steps (candidate cases tried) for one finding (default 2,000): the budget that keeps
   * shrinking deterministic -- the same seed gives the same minimised program whenever this,
   * rather than a time limit, ends it.
   */
  shrinkSteps?: number;
  /** Instruction-removal steps after fast-check's shrinking (default 400; see minimise.ts). */
  minimiseSteps?: number;
  /** Confirms a minimised finding before it is reported: null, or why it is not a real finding. */
  recheck?: (f: Finding) => string | null;
  onUnconfirmed?: (f: Finding, why: string) => void;
  /** Cases per fast-check run between progress reports (default 25). */
  batch?: number;
  onProgress?: (s: CampaignStats) => void;
  onFinding?: (b: FoundBug) => void;
  /** Polled between batches: true stops the campaign (e.g. another worker's signal). */
  shouldStop?: () => boolean;
  /**
   * Coverage feedback (guided/): every checked case is verified with its feature collector and
   * observed (shrinking steps are not). A guided `arb` reads the corpus it builds.
   */
  coverage?: CoverageFeedback;
}

/** A verifier that throws on a program is itself a finding: reported under the oracle that asked. */
class VerifierCrash extends Error {}

/** The finding's oracle re-run on instruction-level reductions of its program (minimise.ts), keeping its signature. */
function minimiseInsnsOf(o: CampaignOptions): (f: Finding, sig: string, verdictOf: (c: FuzzCase) => CaseContext, deadline: number) => { finding: Finding; steps: number; cut: boolean } {
  return (f, sig, verdictOf, deadline) => {
    const oracle = o.oracles.find((x) => x.name === f.oracle);
    if (!oracle || f.kind.startsWith('crash') || f.kind === 'verifier-crash') return { finding: f, steps: 0, cut: false };
    let best = f;
    const inputs = f.input ? [f.input] : [];
    const r = minimiseInsns(f.program, (p) => {
      const c: FuzzCase = { program: p, inputs };
      let g: Finding | null;
      try { g = oracle.check(c, verdictOf(c)); } catch { return false; }
      if (!g || signature(g) !== sig) return false;
      best = g;
      return true;
    }, { steps: o.minimiseSteps ?? 400, deadline });
    return { finding: best, steps: r.steps, cut: r.cut };
  };
}

export async function runCampaign(o: CampaignOptions): Promise<{ stats: CampaignStats; found: FoundBug[] }> {
  // Instruction validation's type feedback for every encoding before V8 first optimises it (encoding-warm-up.ts; once per isolate).
  warmUpEncodings();
  const t0 = performance.now();
  const deadline = o.seconds !== undefined ? t0 + o.seconds * 1000 : Infinity;
  const maxRuns = o.runs ?? Infinity;
  const known = o.known ?? new Set<string>();
  const arb = o.arb ?? caseArb();
  const batch = o.batch ?? 25;
  const shrinkBudget = (o.shrinkSeconds ?? 30) * 1000;
  const programBudget = (o.programSeconds ?? DEFAULT_PROGRAM_SECONDS) * 1000;
  const verify = budgetedVerify(o.verify);
  const shrinkStepBudget = o.shrinkSteps ?? 2000;
  const stats: CampaignStats = { runs: 0, accepted: 0, findings: 0, duplicates: 0, seconds: 0, shrinkSeconds: 0, unconfirmed: 0 };
  const found: FoundBug[] = [];
  let lastProgress = t0;
  const minimiseFinding = minimiseInsnsOf(o);

  /** Set on the first new finding of a fast-check run; shrinking keeps only cases with the same signature. */
  let target: string | null = null;
  let last: { sig: string; finding: Finding } | null = null;
  let shrinkDeadline = Infinity;
  /** Fast-check's shrinking gets the first half of the time budget, instruction removal the rest (see minimise.ts). */
  let minimiseDeadline = Infinity;
  let shrinkSteps = 0;
  let shrinkCut = false;
  let firstInsns = 0;
  const progress = (now: number): void => {
    if (!o.onProgress || now - lastProgress < 1000) return;
    lastProgress = now;
    stats.seconds = (now - t0) / 1000;
    if (o.coverage) stats.coverage = o.coverage.stats();
    o.onProgress({ ...stats, ...(target !== null && { shrinking: { signature: target, steps: shrinkSteps } }) });
  };

  const verdictOf = (c: FuzzCase, options: VerifyOptions = FUZZ_VERIFY_OPTIONS): CaseContext => {
    let v: VerifyResult | undefined;
    return {
      verdict() {
        if (v) return v;
        try { v = verify(c.program, options); } catch (e) { if (e instanceof OverBudget) throw e; throw new VerifierCrash(`${(e as Error).name}: ${(e as Error).message.split('\n')[0]}`); }
        return v;
      },
    };
  };

  /** The oracle checking the current case, and the slowest one so far (for over-budget cases). */
  let running: OracleName | null = null;
  let slowest: { oracle: OracleName; ms: number } | null = null;

  /**
   * A case past the program budget: counted, and recorded per oracle and stage as a `slow` finding
   * (not shrunk: every step would be as slow), the slowest case of each kind (slowerBug).
   */
  const overBudget = (c: FuzzCase, oracle: OracleName, stage: string, ms: number, cut: boolean, verdict: VerifyResult | null): void => {
    stats.overBudget = (stats.overBudget ?? 0) + 1;
    const finding: Finding = {
      oracle, kind: `slow:${stage}`, pc: -1, program: c.program, verdict: verdict?.verdict ?? 'reject',
      message: `${stage} ${cut ? 'was cut after' : 'took'} ${Math.round(ms)} ms on this ${c.program.insns.length}-insn program (per-program budget ${Math.round(programBudget)} ms${cut && !verdict ? '; no bpflab verdict' : ''})`,
      ...(c.inputs[0] && { input: c.inputs[0] }),
    };
    const sig = signature(finding);
    const bug: FoundBug = { signature: sig, finding, originalInsns: c.program.insns.length, seed: currentSeed, shrinkSteps: 0, slowMs: Math.round(ms) };
    // A slower case than the one kept here is reported again, also of a kind another worker found: the parent keeps the slowest.
    if (keepFinding(found, bug) === 'duplicate') return;
    if (!known.has(sig)) { known.add(sig); stats.findings++; }
    o.onFinding?.(bug);
  };

  /** Checks one case with the program budget open; an over-budget case shows no finding. */
  const findingOf = (c: FuzzCase, counting: boolean): Finding | null => {
    const t = performance.now();
    running = null;
    slowest = null;
    let verdict: VerifyResult | null = null;
    try {
      const f = withProgramBudget(programBudget, () => checkCase(c, counting, (v) => { verdict = v; }));
      const ms = performance.now() - t;
      if (ms > programBudget) {
        if (counting && slowest) overBudget(c, (slowest as { oracle: OracleName }).oracle, (slowest as { oracle: OracleName }).oracle, ms, false, verdict);
        return null;
      }
      return f;
    } catch (e) {
      if (!(e instanceof OverBudget)) throw e;
      if (counting) overBudget(c, running ?? o.oracles[0]!.name, e.stage, performance.now() - t, true, verdict);
      return null;
    }
  };

  const checkCase = (c: FuzzCase, counting: boolean, onVerdict: (v: VerifyResult) => void): Finding | null => {
    const cx = counting && o.coverage ? verdictOf(c, o.coverage.verifyOptions(c.program)) : verdictOf(c);
    if (counting) {
      let v: VerifyResult | null = null;
      try { v = cx.verdict(); onVerdict(v); if (v.verdict === 'accept') stats.accepted++; } catch (e) { if (e instanceof OverBudget) throw e; /* else reported by the oracles */ }
      o.coverage?.observe(c, v);
    }
    for (const oracle of o.oracles) {
      let f: Finding | null;
      running = oracle.name;
      const t = performance.now();
      try {
        f = oracle.check(c, cx);
      } catch (e) {
        if (e instanceof OverBudget) throw e;
        const crash = e instanceof VerifierCrash;
        f = {
          oracle: oracle.name, kind: crash ? 'verifier-crash' : `crash:${(e as Error).name ?? 'Error'}`, pc: -1, program: c.program, verdict: 'reject',
          message: crash ? `the verifier threw ${e.message}` : `the ${oracle.name} oracle threw ${(e as Error).name}: ${String((e as Error).message).split('\n')[0]}`,
        };
      }
      const ms = performance.now() - t;
      if (!slowest || ms > slowest.ms) slowest = { oracle: oracle.name, ms };
      if (!f) continue;
      const sig = signature(f);
      if (sig === target) return f;
      if (target !== null) continue;
      if (!known.has(sig)) return f;
      if (counting) stats.duplicates++;
    }
    return null;
  };

  const predicate = (c: FuzzCase): boolean => {
    const shrinking = target !== null;
    if (shrinking) {
      // Budget spent: keep what we have. The step budget is deterministic; time limits and stops are not.
      if (shrinkSteps >= shrinkStepBudget) return true;
      const now = performance.now();
      if (now > shrinkDeadline || o.shouldStop?.()) { shrinkCut = true; return true; }
      shrinkSteps++;
      if ((shrinkSteps & 15) === 0) progress(now);
    } else {
      if (stats.runs >= maxRuns || performance.now() > deadline || o.shouldStop?.()) return true;
      stats.runs++;
    }
    const f = findingOf(c, !shrinking);
    if (!f) return true;
    const sig = signature(f);
    if (!shrinking) {
      target = sig;
      minimiseDeadline = Math.min(deadline, performance.now() + shrinkBudget);
      shrinkDeadline = Math.min(deadline, performance.now() + shrinkBudget / 2);
      shrinkSteps = 0;
      shrinkCut = false;
      firstInsns = c.program.insns.length;
    }
    last = { sig, finding: f };
    return false;
  };

  let seed = o.seed;
  let currentSeed = seed;
  let batchesLeft = o.batches ?? Infinity;
  while (stats.runs < maxRuns && batchesLeft-- > 0 && performance.now() < deadline && !o.shouldStop?.()) {
    target = null;
    last = null;
    if (o.shouldStop?.()) break;
    const n = Math.min(batch, maxRuns - stats.runs);
    const before = stats.runs;
    const tShrink = performance.now();
    currentSeed = seed;
    const details = fc.check(fc.property(arb, predicate), { seed, numRuns: n, endOnFailure: false });
    if (details.failed && last) {
      const { sig } = last as { sig: string; finding: Finding };
      let { finding } = last as { sig: string; finding: Finding };
      if (!known.has(sig)) {
        const m = minimiseFinding(finding, sig, verdictOf, minimiseDeadline);
        finding = m.finding;
        shrinkSteps += m.steps;
        if (m.cut) shrinkCut = true;
      }
      stats.shrinkSeconds += (performance.now() - tShrink) / 1000;
      if (!known.has(sig)) {
        known.add(sig);
        const why = o.recheck?.(finding) ?? null;
        if (why !== null) {
          stats.unconfirmed++;
          o.onUnconfirmed?.(finding, why);
        } else {
          stats.findings++;
          const bug: FoundBug = { signature: sig, finding, originalInsns: firstInsns, seed, shrinkSteps, ...(shrinkCut ? { shrinkCut: 'time' as const } : {}) };
          found.push(bug);
          o.onFinding?.(bug);
        }
      }
    } else if (details.failed && details.errorInstance) {
      throw details.errorInstance;
    }
    seed = (seed + 1) | 0;
    if (stats.runs === before && !details.failed) break; // nothing left to do (limits reached inside the run)
    target = null;
    progress(performance.now());
    await new Promise<void>((r) => setImmediate(r));
  }
  stats.seconds = (performance.now() - t0) / 1000;
  if (o.coverage) stats.coverage = o.coverage.stats();
  return { stats, found };
}

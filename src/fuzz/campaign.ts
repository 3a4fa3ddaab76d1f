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
import type { VerifyResult } from '../verifier/index.js';
import { type Finding, signature } from './finding.js';
import { inputArb } from './generators/inputs.js';
import { programArb, type ShapeOptions } from './generators/program.js';
import { mutatedProgramArb, rawProgramArb, seedMutantArb } from './generators/raw.js';
import { FUZZ_VERIFY_OPTIONS, type CaseContext, type FuzzCase, type Oracle, type VerifyFn } from './oracles/types.js';

export interface CaseOptions extends ShapeOptions {
  /** Seed programs for mutation (corpus, examples). */
  seeds?: readonly Program[];
  /** Share of structured programs, 0..1 (default 0.8); the rest are mutants and raw programs. */
  structured?: number;
}

/** Fuzz cases: mostly structured programs, some mutants (of structured and seed programs) and raw ones; 1-3 inputs each. */
export function caseArb(opts: CaseOptions = {}): fc.Arbitrary<FuzzCase> {
  const structured = programArb(opts);
  const share = Math.round((opts.structured ?? 0.8) * 100);
  const rest = 100 - share;
  const programs: { weight: number; arbitrary: fc.Arbitrary<Program> }[] = [{ weight: share, arbitrary: structured }];
  if (rest > 0) {
    programs.push({ weight: Math.ceil(rest * 0.5), arbitrary: mutatedProgramArb(structured) });
    programs.push({ weight: Math.ceil(rest * 0.2), arbitrary: rawProgramArb });
    if (opts.seeds && opts.seeds.length > 0) programs.push({ weight: Math.ceil(rest * 0.3), arbitrary: seedMutantArb(opts.seeds) });
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
  seconds: number;
  /** Seconds spent shrinking. */
  shrinkSeconds: number;
}

export interface FoundBug {
  signature: string;
  finding: Finding;
  /** Instructions before and after shrinking. */
  originalInsns: number;
}

export interface CampaignOptions {
  oracles: readonly Oracle[];
  verify: VerifyFn;
  seed: number;
  /** Stop after this many seconds (default: no time limit; give `runs` or `seconds`). */
  seconds?: number;
  /** Stop after this many cases. */
  runs?: number;
  /** Cases to check (default caseArb()). */
  arb?: fc.Arbitrary<FuzzCase>;
  /** Signatures already found (by other workers or earlier); updated as findings are made. */
  known?: Set<string>;
  /** Time budget for shrinking one finding (default 30 s). */
  shrinkSeconds?: number;
  /** Cases per fast-check run between progress reports (default 25). */
  batch?: number;
  onProgress?: (s: CampaignStats) => void;
  onFinding?: (b: FoundBug) => void;
  /** Polled between batches: true stops the campaign (e.g. another worker's signal). */
  shouldStop?: () => boolean;
}

/** A verifier that throws on a program is itself a finding: reported under the oracle that asked. */
class VerifierCrash extends Error {}

export async function runCampaign(o: CampaignOptions): Promise<{ stats: CampaignStats; found: FoundBug[] }> {
  const t0 = performance.now();
  const deadline = o.seconds !== undefined ? t0 + o.seconds * 1000 : Infinity;
  const maxRuns = o.runs ?? Infinity;
  const known = o.known ?? new Set<string>();
  const arb = o.arb ?? caseArb();
  const batch = o.batch ?? 25;
  const shrinkBudget = (o.shrinkSeconds ?? 30) * 1000;
  const stats: CampaignStats = { runs: 0, accepted: 0, findings: 0, duplicates: 0, seconds: 0, shrinkSeconds: 0 };
  const found: FoundBug[] = [];
  let lastProgress = t0;

  /** Set on the first new finding of a fast-check run; shrinking keeps only cases with the same signature. */
  let target: string | null = null;
  let last: { sig: string; finding: Finding } | null = null;
  let shrinkDeadline = Infinity;
  let firstInsns = 0;

  const verdictOf = (c: FuzzCase): CaseContext => {
    let v: VerifyResult | undefined;
    return {
      verdict() {
        if (v) return v;
        try { v = o.verify(c.program, FUZZ_VERIFY_OPTIONS); } catch (e) { throw new VerifierCrash(`${(e as Error).name}: ${(e as Error).message.split('\n')[0]}`); }
        return v;
      },
    };
  };

  const findingOf = (c: FuzzCase, counting: boolean): Finding | null => {
    const cx = verdictOf(c);
    if (counting) { try { if (cx.verdict().verdict === 'accept') stats.accepted++; } catch { /* reported by the oracles */ } }
    for (const oracle of o.oracles) {
      let f: Finding | null;
      try {
        f = oracle.check(c, cx);
      } catch (e) {
        const crash = e instanceof VerifierCrash;
        f = {
          oracle: oracle.name, kind: crash ? 'verifier-crash' : `crash:${(e as Error).name ?? 'Error'}`, pc: -1, program: c.program, verdict: 'reject',
          message: crash ? `the verifier threw ${e.message}` : `the ${oracle.name} oracle threw ${(e as Error).name}: ${String((e as Error).message).split('\n')[0]}`,
        };
      }
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
    if (shrinking && performance.now() > shrinkDeadline) return true; // budget spent: keep what we have
    if (!shrinking) {
      if (stats.runs >= maxRuns || performance.now() > deadline) return true;
      stats.runs++;
    }
    const f = findingOf(c, !shrinking);
    if (!f) return true;
    const sig = signature(f);
    if (!shrinking) {
      target = sig;
      shrinkDeadline = performance.now() + shrinkBudget;
      firstInsns = c.program.insns.length;
    }
    last = { sig, finding: f };
    return false;
  };

  let seed = o.seed;
  while (stats.runs < maxRuns && performance.now() < deadline && !o.shouldStop?.()) {
    target = null;
    last = null;
    const n = Math.min(batch, maxRuns - stats.runs);
    const before = stats.runs;
    const tShrink = performance.now();
    const details = fc.check(fc.property(arb, predicate), { seed, numRuns: n, endOnFailure: false });
    seed = (seed + 1) | 0;
    if (details.failed && last) {
      const { sig, finding } = last as { sig: string; finding: Finding };
      stats.shrinkSeconds += (performance.now() - tShrink) / 1000;
      if (!known.has(sig)) {
        known.add(sig);
        stats.findings++;
        const bug: FoundBug = { signature: sig, finding, originalInsns: firstInsns };
        found.push(bug);
        o.onFinding?.(bug);
      }
    } else if (details.failed && details.errorInstance) {
      throw details.errorInstance;
    }
    if (stats.runs === before && !details.failed) break; // nothing left to do (limits reached inside the run)
    const now = performance.now();
    stats.seconds = (now - t0) / 1000;
    if (o.onProgress && now - lastProgress >= 1000) { lastProgress = now; o.onProgress({ ...stats }); }
    await new Promise<void>((r) => setImmediate(r));
  }
  stats.seconds = (performance.now() - t0) / 1000;
  return { stats, found };
}

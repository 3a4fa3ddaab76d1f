/**
 * What a campaign generates from: the structured/mutational/raw mix (caseArb) alone, or guided by
 * coverage -- and in both cases a Guidance that collects the verifier coverage the campaign
 * reaches, so that guided and unguided campaigns report the same figures.
 */
import type fc from 'fast-check';
import type { Program } from '../../isa/program.js';
import { type CaseOptions, caseArb } from '../campaign.js';
import { loadSeedPrograms } from '../generators/seeds.js';
import type { FuzzCase, VerifyFn } from '../oracles/types.js';
import { guidedCaseArb } from './arb.js';
import { Guidance, type SeedObservation } from './guidance.js';

export interface GenerationOptions extends CaseOptions {
  verify: VerifyFn;
  /** Mutate a coverage-guided corpus (default false: the structured mix only). */
  guided?: boolean;
  /** Guided: seed the corpus from the `.s` programs there too, and write programs that join it there. */
  corpusDir?: string;
  /** Guided: share of fresh cases from the structured mix (default 0.5). */
  freshShare?: number;
  /** Guided: seeds verified elsewhere (see GuidanceOptions.observed). */
  observed?: ReadonlyMap<string, SeedObservation>;
}

export async function campaignGeneration(o: GenerationOptions): Promise<{ arb: fc.Arbitrary<FuzzCase>; coverage: Guidance }> {
  const fresh = caseArb(o);
  const extra: Program[] = o.guided && o.corpusDir ? await loadSeedPrograms([o.corpusDir]) : [];
  const coverage = new Guidance({
    verify: o.verify, seeds: o.guided ? [...(o.seeds ?? []), ...extra] : [],
    ...(o.guided && o.corpusDir !== undefined && { corpusDir: o.corpusDir }), ...(o.observed && { observed: o.observed }),
  });
  return { arb: o.guided ? guidedCaseArb(coverage, fresh, o.freshShare !== undefined ? { freshShare: o.freshShare } : {}) : fresh, coverage };
}

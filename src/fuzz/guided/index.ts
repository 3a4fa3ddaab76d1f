/** Coverage-guided generation: verifier features, a corpus with a scheduler, and structure-aware mutations. */
export { FeatureCollector, FEATURE_KINDS, featureKind, normaliseMessage, regClass } from './features.js';
export { Guidance, mergeCoverage, observeSeeds, seedKey, type SeedObservation, type CoverageFeedback, type CoverageStats, type GuidanceOptions, type ReachedCoverage } from './guidance.js';
export { applyMutations, guidedMutationArb, type GuidedMutation } from './mutate.js';
export { guidedCaseArb, type GuidedArbOptions } from './arb.js';
export { campaignGeneration, type GenerationOptions } from './generation.js';

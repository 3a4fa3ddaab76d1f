/**
 * Fuzzing: generators of programs and inputs, oracles (sanitize, embed, jit, kernel), campaigns
 * with shrinking and deduplication, and findings written as corpus entries.
 */
export * from './generators/index.js';
export * from './oracles/index.js';
export { ORACLE_NAMES, type OracleName, type Finding, type RecordedInput, signature, findingName, opcodeName, expectJson, findingAsm, exactListing, recordInput, replayArgs, runOutcome } from './finding.js';
export { vmEngine, jitEngine, loadJit, makeMaps, dumpMaps, runInput, type Engine, type EngineRun, type RunJit } from './engines.js';
export { runCampaign, caseArb, keepFinding, slowerBug, isSlowKind, type CampaignOptions, type CampaignStats, type FoundBug, type CaseOptions } from './campaign.js';
export { runParallel, type ParallelOptions, type ParallelResult } from './parallel.js';
export { buildOracles, setFuzzOverrides, isOracleName, type FuzzOverrides, type OracleSetup } from './setup.js';
export { makeRecheck, type RecheckOptions } from './recheck.js';
export { FindingWriter, type EntryFile } from './output.js';
export { writeFinding } from './record.js';
export { DEFAULT_PROGRAM_SECONDS, OverBudget, budgetLeftMs, budgetedVerify, checkBudget, withProgramBudget } from './budget.js';
export { campaignJobs, runJob, mergeJobs, encodeResult, decodeResult, type JobSpec, type JobResult } from './job.js';
export * from './guided/index.js';

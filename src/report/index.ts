/**
 * Reports of verification results: a self-contained HTML page per input file (CFG drawn with
 * d3, states per instruction, the failing path, explain's counterexample, source lines) and
 * SARIF 2.1.0 for CI.
 */
export type { ReportInput, ProgramReportInput, ExplainReport, KernelVerdictInput, ReplayFault } from './model.js';
export { renderHtmlReport, writeHtmlReport, writeReports, hexDump, d3Bundle, type HtmlReportOptions } from './html.js';
export { renderSarif, toArtifactLocation, SARIF_SCHEMA, type SarifLog, type SarifResult, type SarifRun, type SarifRule } from './sarif.js';
export { buildReportInput, loadExplainer, type BuildReportOptions, type Explainer } from './build.js';
export { buildProgramView, sourceAt, stateAt, type ProgramView, type ViewOptions, type ViewGraph, type ViewState } from './view.js';
export { verifyWithStates, StateRecorder, type CompactStates } from './states.js';
export { statesFromLog, splitState, type LogStates, type VisitState, type StateEntries } from './log-states.js';
export { escapeHtml, jsonForScript } from './escape.js';
export { packInts, unpackInts, toWire, fromWire, type WireView, type PackedStates } from './wire.js';

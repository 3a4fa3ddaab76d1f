/**
 * bpflab's public API. The functions most scripts need are named at the top level; every stage's
 * whole public face is also a namespace here (`isa`, `loader`, `verifier`, ...) and a subpath
 * export (`bpflab/verifier`, ...). See docs/api.md.
 *
 * Heavy dependencies load on first use, not on import: Z3 (explain, proofs), koffi (the kernel
 * oracle), the d3 bundle (HTML reports).
 */

// Stages as namespaces (each is also `bpflab/<stage>`).
export * as isa from './isa/index.js';
export * as loader from './loader/index.js';
export * as verifier from './verifier/index.js';
export * as runtime from './runtime/index.js';
export * as maps from './runtime/maps/index.js';
export * as vm from './vm/index.js';
export * as jit from './jit/index.js';
export * as kernel from './kernel/index.js';
export * as explainer from './smt/explain/index.js';
export * as smt from './smt/index.js';
export * as fuzzing from './fuzz/index.js';
export * as report from './report/index.js';
export * as batch from './batch/index.js';
export * as corpus from './corpus/index.js';
export * as selftests from './selftests/index.js';

// Instruction set
export type { Insn } from './isa/insn.js';
export type { Program, ProgType, MapSpec, MapType, LineInfo } from './isa/program.js';
export { InputError } from './isa/errors.js';
export { assemble, disasmProgram as disassemble, decodeInsns, encodeInsns, type AsmResult } from './isa/index.js';

// Loading
export { loadFile, loadFileDetailed, type LoadOptions, type LoadedFile, type ElfObject } from './loader/index.js';
export { loadObject, loadProgram, onlyProgram, programLabel, type ProgramSource } from './loader/open.js';

// Verifying (with per-instruction abstract states as data)
export {
  verify, verifyWithStates, collectStates, StateSnapshotter, ERROR_KINDS, INSN_LIMIT,
  type VerifyResult, type VerifyWithStatesResult, type VerifyOptions, type VerifierError, type ErrorKind, type DomainName, type Strategy,
  type StateSnapshot, type FrameSnapshot, type RegSnapshot, type ScalarBounds, type StackSlotSnapshot, type StateCollectionOptions, type CollectedStates, type Cfg,
} from './verifier/index.js';

// Running: the checked VM and the WebAssembly JIT
export { runProgram as run, runProgram, Vm, type RunInput, type RunResult, type VmOptions } from './vm/index.js';
export { compileProgram as compileJit, runJit, Jit, type JitOptions, type JitRunResult, type JitMode } from './jit/index.js';

// Explaining rejections (Z3)
export { explainProgram as explain, explainProgram, explainPrograms, closeExplain, type Explanation, type ExplainOptions } from './smt/explain/index.js';

// Fuzzing
export { runCampaign as fuzz, runParallel as fuzzParallel, type CampaignOptions, type CampaignStats, type FoundBug, type ParallelOptions, type ParallelResult } from './fuzz/index.js';

// Reports: HTML, SARIF, kernel-style source annotations
export { renderHtmlReport as renderReport, buildReportInput, renderSarif as sarif, renderSarif, type ReportInput, type ProgramReportInput, type SarifLog } from './report/index.js';
export { defaultSourceRoot, type SarifOptions } from './report/sarif.js';
export { sourceAnnotatedLog } from './report/source-log.js';

// The running kernel as an oracle (bpf() through koffi, bound lazily)
export { kernelVerdict, kernelStats, type KernelVerdict } from './kernel/verdict.js';
export { kernelAvailable, type KernelAvailability } from './kernel/index.js';

// Batch verification (veristat's columns) and the corpus
export { verifyFiles, verifyFileRows, expandInputs, parseBaseline, compareWithBaseline, type BatchRow, type BatchOptions, type Comparison } from './batch/index.js';
export { checkEntry as checkCorpusEntry, findEntries as findCorpusEntries, recordFile as recordCorpusFile, junitXml, type CorpusEntry, type EntryResult } from './corpus/index.js';

// The command line as a function
export { main } from './cli/main.js';
export { memoryIo, type Io, type MemoryIo } from './cli/io.js';

/**
 * The regression corpus (SPEC section 6): program files with `.expect.json` sidecars, checked
 * per program (verdict, kind, message, r0, kernel), recorded from current results, reported as
 * JUnit XML for CI.
 */
export {
  parseSidecar, formatSidecar, expectationFor, programKey,
  type Sidecar, type Expectation, type ProgramExpectation, type RunInputSpec, type Verdict,
} from './expectations.js';
export {
  findEntries, findProgramFiles, walkProgramFiles, readEntry, checkEntry, sidecarPath, runR0, PROGRAM_EXTS,
  type CorpusEntry, type EntryResult, type ProgramCheck,
} from './check.js';
export { recordSidecar, recordFile, messageHead, type RecordOptions } from './record.js';
export { junitXml } from './junit.js';

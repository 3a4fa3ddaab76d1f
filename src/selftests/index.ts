/**
 * Kernel-selftest-style objects run as the kernel's test_loader.c runs them: expectations from
 * BTF decl tags, each test verified with its object's auxiliary programs, `__msg` patterns
 * matched against bpflab's log, `__retval` checked on the VM; optionally compared with the
 * running kernel's recorded verdicts.
 */
export { parseTestSpec, declTags, SpecError, PROG_FLAGS, TESTING_PROG_FLAGS, POINTER_VALUE, MODE_PRIV, MODE_UNPRIV, LOAD_JITED, LOAD_NO_JITED, type TestSpec, type TestSubspec } from './spec.js';
export { compilePattern, firstUnmatched, type MsgPattern } from './msgs.js';
export { runObject, runRetval, objectName, verifyOptionsFor, type TestResult, type TestVerdict, type RunOptions } from './run.js';
export {
  parseKernelVerdicts, kernelVerdictOf, addAgreement, addResult, emptyAgreement, sumAgreement, messageMatches,
  type KernelVerdict, type KernelVerdicts, type Agreement,
} from './kernel-verdicts.js';
export { parseBaseline, makeBaseline, regressions, type Baseline } from './baseline.js';
export { runSuite, type SuiteResult, type FileSummary } from './suite.js';

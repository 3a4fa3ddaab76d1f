/** The fuzzing oracles: sanitize (accepted => no fault), embed (concrete in abstract), jit (VM = JIT), kernel. */
export { sanitizeOracle } from './sanitize.js';
export { embedOracle, scalarContains, regMismatch, concreteSteps, type AbstractReg, type AbstractSnap, type OnInsn, type ConcreteStep, type MismatchKind, type EmbedOptions } from './embed.js';
export { jitOracle, compareRuns, type JitOracleOptions } from './jit.js';
export { kernelOracle, kernelMessage, kernelErrorPc, withKernelVerdict } from './kernel.js';
export { FUZZ_VERIFY_OPTIONS, FUZZ_MAX_STEPS, type Oracle, type FuzzCase, type CaseContext, type VerifyFn } from './types.js';

/** The interpreter: runs a Program bit-exactly as the kernel does, with every memory access checked. */
export { Vm, runProgram, instantiateMap, type RunInput, type RunResult, type VmOptions, type PreparedRun, type RunOutcome } from './vm.js';
export { type Decoded, decodeProgram, OP, ATOMIC_KINDS } from './decoded.js';
export { LdAbsExit, type HelperFn } from './interpreter.js';
export { vmEngine, runConformanceTest, loadCheck, UBPF_PRIVATE, type Engine, type EngineRun, type ConformanceOutcome } from './conformance.js';
export { VmError, type VmErrorKind } from './errors.js';
export { MemoryFault } from '../runtime/memory.js';

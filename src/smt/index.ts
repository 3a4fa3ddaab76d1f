/** Z3-backed proofs of the abstract operators (public face of src/smt). */
export { loadZ3, loadZ3Api, z3Algebra, type Z3Api, type Z3Handle, type ZB, type ZT } from './z3-algebra.js';
export { semantics, type Semantics } from './semantics.js';
export { allObligations, selectObligations, type Obligation, type Built } from './obligations.js';
export { prove, proveAt, replay, resultOf, type Attempt, type Counterexample, type Patch, type ProofResult, type ProveOptions, type Verdict } from './prover.js';
export { runProofs, formatTable, defaultJobs, type ProofRun, type RunOptions } from './run.js';
export { ProverPool, workerPath, type PoolOptions } from './pool.js';
export { jitObligations, IMMEDIATES, type Emitters } from './jit-templates.js';
export { memoryObligations, MEM_OFFSETS } from './jit-memory.js';
export { atomicObligations, ATOMIC_OPS } from './jit-atomics.js';
export { callObligations } from './jit-calls.js';
export { controlObligations, CONTROL_SHAPES } from './jit-control.js';
export { ldAbsObligations } from './jit-ldabs.js';
export { WasmSymbolic, type ImportModel, type SymState, type SymValue } from './wasm-sym.js';

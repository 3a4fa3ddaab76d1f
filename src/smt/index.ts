/** Z3-backed proofs of the abstract operators (public face of src/smt). */
export { loadZ3, z3Algebra, type Z3Handle, type ZB, type ZT } from './z3-algebra.js';
export { semantics, type Semantics } from './semantics.js';
export { allObligations, selectObligations, type Obligation, type Built } from './obligations.js';
export { prove, proveAt, replay, type Attempt, type Counterexample, type Patch, type ProofResult, type ProveOptions, type Verdict } from './prover.js';
export { runProofs, formatTable, type ProofRun } from './run.js';

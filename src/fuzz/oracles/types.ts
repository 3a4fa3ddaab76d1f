/** What every oracle is: a judgement over one fuzz case, given bpflab's (memoised) verdict. */
import type { Program } from '../../isa/program.js';
import type { VerifyOptions, VerifyResult } from '../../verifier/index.js';
import type { Finding, OracleName } from '../finding.js';
import type { FuzzInput } from '../generators/inputs.js';

/** One fuzz case: a program and the inputs to run it on. */
export interface FuzzCase {
  program: Program;
  inputs: FuzzInput[];
}

/** The verifier as the oracles call it (a wrapper can plant a bug). */
export type VerifyFn = (program: Program, options?: VerifyOptions) => VerifyResult;

/** Per case: the verifier's verdict, computed once and shared by the oracles. */
export interface CaseContext {
  verdict(): VerifyResult;
}

export interface Oracle {
  readonly name: OracleName;
  /** null when the oracle can run here, else why not (printed once, the oracle is skipped). */
  unavailable(): string | null;
  /** A finding for this case, or null. Never throws for a bad program. */
  check(c: FuzzCase, cx: CaseContext): Finding | null;
  /** Things worth telling the user once (e.g. "embed: verifier has no onInsn hook"). */
  readonly notes: Set<string>;
}

/**
 * Verifier options the fuzzer uses: an exploration cap so one pathological program cannot stall a
 * campaign, and no reads of never-written stack (accepted as root accepts them, they make runs
 * depend on leftover stack bytes, so VM and kernel results could not be compared).
 */
export const FUZZ_VERIFY_OPTIONS: VerifyOptions = { insnLimit: 20_000, allowUninitStack: false };
/** Step budget for runs of accepted programs (they terminate; this only guards against a wrong acceptance). */
export const FUZZ_MAX_STEPS = 1_000_000;

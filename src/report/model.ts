/**
 * What a report is made of: per program, the decoded program, the verifier's result and,
 * when available, the explanation of a rejection (SPEC 4b) and the running kernel's verdict.
 * Producers (the `report` and `verify --report` commands) fill it; the HTML and SARIF
 * renderers only read it.
 */
import type { Program } from '../isa/program.js';
import type { VerifyResult } from '../verifier/index.js';
import type { CompactStates } from './states.js';

/** The running kernel's verdict on the same program (`verify --kernel`). */
export interface KernelVerdictInput {
  verdict: 'accept' | 'reject' | 'unavailable';
  message: string;
  processed?: number;
  ms?: number;
}

/** A concrete fault from replaying the counterexample (SPEC 4b `replay.fault`). */
export interface ReplayFault {
  pc: number;
  kind: string;
  region?: string;
  offset?: number;
  size?: number;
}

/**
 * The explanation of a rejection, as `explain --json` prints it per program (SPEC 4b); the
 * explain module's `Explanation` is assignable to it.
 */
export interface ExplainReport {
  path?: number[];
  feasible: boolean | null;
  reason?: string;
  witness?: {
    ctx?: string;
    packet?: string;
    mem?: string;
    maps?: Record<string, Record<string, string>>;
    helpers?: { pc: number; helper: string; r0: string; writes?: { arg: number; hex: string }[] }[];
    /** BTF-typed programs: the kernel object fields the path read, as C (`arg0->real_parent->tgid = 16`). */
    kernelFields?: string[];
  } | null;
  replay?: {
    engine: string;
    fault?: ReplayFault | null;
    r0?: string;
    error?: { kind: string; pc: number; message: string } | null;
    reproduced?: boolean;
    shows?: string;
    note?: string;
  } | null;
  imprecision?: { pc: number; abstract: string; concrete: string; register?: string; cls?: string; why?: string } | null;
  /** The instructions that matter (a leak's acquire and exit, ...). */
  sites?: { pc: number; role: string; what: string; line?: string }[];
  /** Candidate patches (`explain --fix`), each re-verified. */
  fixes?: { kind: string; pc: number; from?: number; insns: string[]; inPlace?: boolean; description: string; c: string | null; verified: boolean; verdict: string; replayed: boolean | null; replayNote?: string }[];
  /** The failing access in the witness: region, offset from its origin, size (decimal strings). */
  access?: { region: string; offset: string; size: string } | null;
}

export interface ProgramReportInput {
  program: Program;
  result: VerifyResult;
  /** States per pc recorded while verifying (verifyWithStates); without them the view re-verifies or reads `result.log`. */
  states?: CompactStates | null;
  explain?: ExplainReport | null;
  kernel?: KernelVerdictInput | null;
}

export interface ReportInput {
  /** The input file as the user named it. */
  file: string;
  programs: ProgramReportInput[];
  /** Page title (default: "bpflab report: FILE"). */
  title?: string;
  /** ISO time to print in the footer; omitted by default so reports are reproducible. */
  generatedAt?: string;
  /** Tool version for the footer and SARIF. */
  version?: string;
}

/**
 * One row of the benchmark table (SPEC section 5). Each row is measured in the same run as its
 * anchor (usually the running kernel) and reported as a ratio, because machines are noisy.
 */
export interface BenchRow {
  /** Table group: "vm", "jit", "verifier", "fuzz", "proofs". */
  group: string;
  /** What was measured, e.g. "alu loop". */
  name: string;
  value: number;
  /** Unit of value, e.g. "ns/insn", "ms", "programs/s/core", "s". */
  unit: string;
  /** The anchor measured beside it in the same run, e.g. "kernel JIT"; absent when none applies. */
  anchor?: string;
  anchorValue?: number;
  /** value / anchorValue. */
  ratio?: number;
  /** Why the anchor is missing, or any caveat. */
  note?: string;
}

export interface BenchOptions {
  /** Scale down iterations (for a quick smoke run). */
  quick: boolean;
  /** Progress lines go here (stderr in the CLI). */
  progress: (line: string) => void;
}

/** Each area's benchmark module exports this (src/bench/<area>.ts). */
export type BenchSuite = (opts: BenchOptions) => Promise<BenchRow[]>;

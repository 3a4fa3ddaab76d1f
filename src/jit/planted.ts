/** TEST ONLY: deliberate code-generation bugs, so that tests can check that the fuzzer finds one. */
export const plantedJitBugs = {
  /** 64-bit signed conditional jumps (s>, s>=, s<, s<=) compare unsigned. */
  signedJumpsAsUnsigned: false,
  /** Checked stores test the window against the read end (stores into read-only regions pass). */
  storesIgnoreReadOnly: false,
  /** Checked accesses compare the window's start unsigned (an offset below 0 passes). */
  windowStartUnsigned: false,
  /** Checked accesses skip the alignment test (misaligned stack accesses pass). */
  noAlignCheck: false,
  /** The slow path is passed offset 0 instead of the instruction's. */
  slowPathWithoutOffset: false,
};

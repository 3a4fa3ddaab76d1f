/** TEST ONLY: deliberate code-generation bugs, so that tests can check that the fuzzer finds one. */
export const plantedJitBugs = {
  /** 64-bit signed conditional jumps (s>, s>=, s<, s<=) compare unsigned. */
  signedJumpsAsUnsigned: false,
};

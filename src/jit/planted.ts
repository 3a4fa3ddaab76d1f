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
  /** Fetching atomics (fetch_add/or/and/xor) return the new value instead of the old one. */
  atomicFetchReturnsNew: false,
  /** 64-bit cmpxchg compares only the low 32 bits of r0 and the old value. */
  cmpxchg64ComparesLow32: false,
  /** LD_ABS/LD_IND sign-extend the loaded word into r0 (the VM zero-extends). */
  ldAbsSignExtends: false,
  /** Helper and kfunc calls leave r5 out of the register file the callee reads. */
  helperCallDropsR5: false,
  /** bpf_tail_call jumps even when the helper declined (index out of range, MAX_TAIL_CALL_CNT reached, empty slot). */
  tailCallIgnoresDecline: false,
  /** may_goto never decrements its counter (an endless loop never stops). */
  mayGotoNeverDecrements: false,
  /** exit returns r1 as the result. */
  exitReturnsR1: false,
  /** A bpf-to-bpf call gives the callee the caller's frame pointer as r10. */
  localCallKeepsCallerFp: false,
  /** The step budget traps when exactly the segment's instructions are left (off by one). */
  stepBudgetOffByOne: false,
  /** A conditional jump's taken and fall-through blocks swapped in the structured layout. */
  branchTargetsSwapped: false,
};

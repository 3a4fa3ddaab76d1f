/** What `verify` can be asked to do. */
import type { Insn } from '../isa/insn.js';
import type { VState } from './state.js';

export type DomainName = 'kernel' | 'tnum' | 'interval';
/** `dfs`: the kernel's path exploration with pruning; `join`: join + widening at loop heads. */
export type Strategy = 'dfs' | 'join';

export const INSN_LIMIT = 1_000_000;

export interface VerifyOptions {
  /** Scalar domain (default `kernel`: tnum x s64/u64/s32/u32 ranges). */
  domain?: DomainName;
  /** Exploration strategy (default `dfs`). */
  strategy?: Strategy;
  /** Collect the kernel-format log (default false; costs time). */
  log?: boolean;
  /** With `log`: 1 (default) annotates each instruction with the registers it touched; 2 also prints the full state before every instruction. */
  logLevel?: 1 | 2;
  /** Processed-instruction limit (default 1,000,000 as the kernel). */
  insnLimit?: number;
  /** Reject back-edges as an unprivileged kernel does (default false: loops are explored). */
  rejectLoops?: boolean;
  /**
   * Let reads of never-written stack bytes through, as the kernel does for privileged (CAP_PERFMON)
   * loaders (env->allow_uninit_stack). Default true, like the root loader whose verdicts bpflab
   * follows everywhere else; false rejects them as an unprivileged kernel does (`invalid read from stack`).
   */
  allowUninitStack?: boolean;
  /**
   * BPF_F_STRICT_ALIGNMENT: every access must be naturally aligned (packets with NET_IP_ALIGN in
   * front), as on architectures without efficient unaligned access. Default false (x86-64).
   */
  strictAlignment?: boolean;
  /**
   * BPF_F_TEST_REG_INVARIANTS (test_progs sets it on every test program): a register whose bounds
   * contradict each other after a branch's refinement refuses the load (EFAULT) instead of being
   * reset to unbounded ranges. Default false, as for any other loader.
   */
  testRegInvariants?: boolean;
  /**
   * BPF_F_TEST_STATE_FREQ (env->test_state_freq, set by selftests): every prune point keeps a
   * checkpoint, not only those reached after 2 jumps and 8 instructions. Default false.
   */
  testStateFreq?: boolean;
  /** nr_cpu_ids for bpf_get_smp_processor_id's range (default: this host's CPU count, as the running kernel). */
  nrCpus?: number;
  /**
   * Record the full state before every instruction of the failing path (`VerifyResult.pathStates`).
   * Default: on with `log`, off otherwise (it formats a state per processed instruction).
   */
  pathStates?: boolean;
  /**
   * Called right before each processed instruction with its pc and the current abstract state
   * (for tools such as the fuzzer's embedding oracle). Read the state synchronously; it is
   * mutated in place afterwards. `live`: the registers of the innermost frame live there (bit r:
   * r may still be read), the ones state pruning compares.
   */
  onInsn?: (pc: number, state: VState, live: number) => void;
  /**
   * Prune paths whose state an explored one subsumes (default true). false follows every path to
   * its end (infinite loops are still detected), so that each processed state is exact rather than
   * stood for by a wider explored one: for tools that compare concrete runs with the states, such
   * as the fuzzer's embedding oracle. Exponential in the worst case: set `insnLimit`.
   * 'exact': as false, except that a path ends at a finished explored state it equals (the
   * kernel's EXACT comparison of live registers, stack, references and frames): its future would
   * repeat that state's, so the states processed at every instruction are the same set as with
   * false. Only where nothing but the state decides the future: a program with callbacks,
   * iterators, may_goto or kfunc calls (whose loops widen by precision and earlier visits) is
   * explored as with false.
   */
  prune?: boolean | 'exact';
  /**
   * TEST ONLY: a deliberate soundness bug, so that tests can check that the fuzzer finds one.
   * `jgt-fall-as-jlt`: the fall-through of `if dst > src` is refined as `dst < src` (losing dst == src).
   */
  plantedBug?: 'jgt-fall-as-jlt';
  /** Instruction printer for the log (default: the ISA disassembler). */
  disasm?: (insns: readonly Insn[], pc: number) => string;
}

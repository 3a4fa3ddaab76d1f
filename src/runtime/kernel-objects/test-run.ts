/**
 * BPF_PROG_TEST_RUN of fentry / fexit / fmod_ret programs (bpf_prog_test_run_tracing,
 * net/bpf/test_run.c): the kernel does not run the program itself; it calls its test functions
 * (bpf_fentry_test1..9 for fentry/fexit, bpf_modify_return_test/_test2 for fmod_ret), which run
 * any program attached to them, and reports ((u32)side_effect << 16) | ret, where side_effect
 * counts the calls after which the int behind the pointer argument was not its old value.
 * A program loaded but not attached (as test_loader runs selftests) changes nothing.
 */
import { ATTACH_TYPES } from '../../loader/section-types.js';

/** bpf_modify_return_test(a, b): *b += 1; return a + *b. */
function modifyReturnTest(a: number, b: { v: number }): number {
  b.v += 1;
  return a + b.v;
}

/** bpf_modify_return_test2(a, b, c, d, e, f, g): *b += 1; return a + *b + c + d + e + f + g. */
function modifyReturnTest2(a: number, b: { v: number }, c: number, d: number, e: number, f: number, g: number): number {
  b.v += 1;
  return a + b.v + c + d + e + f + g;
}

/**
 * The retval BPF_PROG_TEST_RUN reports for an unattached tracing program of this attach type,
 * or undefined when test_run refuses the type (-EFAULT: tp_btf, iterators, ...).
 */
export function tracingTestRunRetval(expectedAttachType: number | undefined): number | undefined {
  switch (expectedAttachType) {
    case ATTACH_TYPES.trace_fentry:
    case ATTACH_TYPES.trace_fexit:
      // every bpf_fentry_testN returns what test_run expects: retval stays 0
      return 0;
    case ATTACH_TYPES.modify_return: {
      let sideEffect = 0;
      const b = { v: 2 };
      let ret = modifyReturnTest(1, b);
      if (b.v !== 2) sideEffect++;
      b.v = 2;
      ret += modifyReturnTest2(1, b, 3, 4, 5, 6, 7);
      if (b.v !== 2) sideEffect++;
      return ((sideEffect << 16) | (ret & 0xffff)) | 0;
    }
    default:
      return undefined;
  }
}

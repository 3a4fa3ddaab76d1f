/**
 * Re-checking a minimised finding before it is reported, so that a campaign reports no false
 * positives: the finding must reproduce (the same oracle, run afresh on the minimised program and
 * input, gives the same signature), and where it rests on the VM's concrete run the other engines
 * must agree with that run -- the JIT always, the running kernel when it can run the program. A
 * finding whose run the engines disagree on is not the oracle's: the jit/kernel oracles report
 * that difference under their own names.
 */
import type { Engine } from './engines.js';
import { type Finding, signature } from './finding.js';
import { materialize } from './generators/inputs.js';
import { compareRuns } from './oracles/jit.js';
import { kernelComparable, kernelResultDiff } from './oracles/kernel.js';
import { FUZZ_MAX_STEPS, FUZZ_VERIFY_OPTIONS, type CaseContext, type FuzzCase, type Oracle, type VerifyFn } from './oracles/types.js';
import { kernelAvailable } from '../kernel/index.js';
import type { VerifyResult } from '../verifier/index.js';

export interface RecheckOptions {
  oracles: readonly Oracle[];
  verify: VerifyFn;
  vm: Engine;
  jit: Engine | null;
  /** Ask the running kernel too (default: when it is available). */
  kernel?: boolean;
}

/** A `recheck` for runCampaign: null when the finding is confirmed, else why it is dropped. */
export function makeRecheck(o: RecheckOptions): (f: Finding) => string | null {
  const useKernel = o.kernel ?? kernelAvailable().ok;
  return (f) => {
    const oracle = o.oracles.find((x) => x.name === f.oracle);
    if (!oracle) return null;
    const c: FuzzCase = { program: f.program, inputs: f.input ? [f.input] : [] };
    let v: VerifyResult | undefined;
    const cx: CaseContext = { verdict: () => (v ??= o.verify(f.program, FUZZ_VERIFY_OPTIONS)) };
    let again: Finding | null;
    try {
      again = oracle.check(c, cx);
    } catch {
      // The campaign reports a throwing oracle or verifier as a crash finding: throwing again reproduces it.
      return f.kind.startsWith('crash') || f.kind === 'verifier-crash' ? null : 'the oracle throws on the minimised case';
    }
    if (!again || signature(again) !== signature(f)) return `does not reproduce on the minimised case (${again ? signature(again) : 'no finding'})`;
    // Findings about the verifier's view of a concrete run: every engine must run it the same way.
    if ((f.oracle === 'embed' || f.oracle === 'sanitize') && f.input) {
      const ci = materialize(f.program, f.input);
      const a = o.vm(f.program, ci, { maxSteps: FUZZ_MAX_STEPS });
      if (o.jit && a.ok) {
        const b = o.jit(f.program, ci, { maxSteps: FUZZ_MAX_STEPS });
        if (b.ok) {
          const d = compareRuns(a, b);
          if (d) return `the VM and the JIT disagree on this run (${d[2]})`;
        }
      }
      if (useKernel && f.oracle === 'embed' && kernelComparable(f.program)) {
        const d = kernelResultDiff(f.program, f.input, o.vm, undefined, cx.verdict().r0Pointer === true);
        if (d) return `the VM and the kernel disagree on this run (${d.message})`;
      }
    }
    return null;
  };
}

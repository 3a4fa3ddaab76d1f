/**
 * The sanitizer oracle: a program the verifier accepts must never fault on the checked VM, on
 * any input: no out-of-bounds, misaligned, NULL or read-only access, no bad call, no falling off
 * the end, no runaway loop, and r0 inside the range the verifier enforces for the program type.
 */
import { returnRange } from '../../runtime/context/index.js';
import { type Engine, vmEngine } from '../engines.js';
import type { Finding } from '../finding.js';
import { materialize } from '../generators/inputs.js';
import { FUZZ_MAX_STEPS, type Oracle } from './types.js';
import { checkBudget } from '../budget.js';
import { warmUpVm } from '../vm-warm-up.js';

/** VmError kinds that say bpflab cannot run the program, not that it is unsafe. */
const LIMITATIONS = new Set(['unknown_helper', 'unsupported']);

export function sanitizeOracle(opts: { engine?: Engine; maxSteps?: number } = {}): Oracle {
  const engine = opts.engine ?? vmEngine;
  const maxSteps = opts.maxSteps ?? FUZZ_MAX_STEPS;
  const notes = new Set<string>();
  return {
    name: 'sanitize',
    notes,
    unavailable: () => null,
    check(c, cx) {
      const v = cx.verdict();
      if (v.verdict !== 'accept') return null;
      // The interpreter's type feedback for every case before V8 first optimises it (vm-warm-up.ts; once per isolate).
      if (engine === vmEngine) warmUpVm();
      const base = { oracle: 'sanitize' as const, program: c.program, verdict: v.verdict, expect: 'reject' as const };
      for (const input of c.inputs) {
        checkBudget('vm-run');
        const run = engine(c.program, materialize(c.program, input), { maxSteps, outputs: false });
        if (!run.ok) {
          // The VM refusing an accepted program's references (a map index past program.maps, a call outside it) is the verifier's miss.
          const e = run.error;
          if (e && (e.kind === 'bad_insn' || e.kind === 'bad_call'))
            return { ...base, input, kind: `link:${e.kind}`, pc: e.pc, message: `accepted, but the VM cannot link it: ${e.message}` } satisfies Finding;
          notes.add(`sanitize: some accepted programs cannot run on the VM (${run.reason.split('\n')[0]})`);
          continue;
        }
        const r = run.res;
        if (r.fault) {
          const f = r.fault;
          return { ...base, input, kind: `fault:${f.kind}:${f.region}`, pc: f.pc, message: `accepted, but the VM faults: ${f.message}` } satisfies Finding;
        }
        if (r.error && !LIMITATIONS.has(r.error.kind)) {
          const e = r.error;
          return { ...base, input, kind: `error:${e.kind}`, pc: e.pc, message: `accepted, but the VM stops: ${e.message}` } satisfies Finding;
        }
        if (r.error) { notes.add(`sanitize: VM limitation: ${r.error.kind}`); continue; }
        const range = returnRange(c.program.type, c.program.expectedAttachType);
        if (range && !r.ldAbsExit) {
          const r32 = Number(BigInt.asIntN(32, r.r0));
          if (r32 < range.min || r32 > range.max)
            return { ...base, input, kind: 'return-range', pc: -1, message: `accepted, but r0 = ${r32} at exit is outside [${range.min}, ${range.max}]` };
        }
      }
      return null;
    },
  };
}

/**
 * The per-program time budget of a campaign: no single program may hold a campaign for long.
 *
 * The campaign opens a budget for each case it checks (`withProgramBudget`); while it is open,
 * every verification made through a `budgetedVerify` wrapper (the campaign's own and the ones the
 * oracles make) reads the clock every few processed instructions and throws `OverBudget` past the
 * deadline, and the oracles call `checkBudget` between their other stages (VM runs, kernel loads
 * and test runs), which are bounded by their own limits (the VM's step limit, the kernel's
 * 1M-instruction verifier limit); bpf() calls are also interrupted past the deadline by a signal
 * (src/kernel/interrupt.ts: the kernel verifier stops when a signal is pending). A case that ends over budget -- cut, or
 * finished late -- is counted and recorded by the campaign as a `slow` finding with its program:
 * a verifier that takes seconds on a small program is itself worth a look.
 *
 * The deadline is per thread (each worker thread has its own), as checks are synchronous.
 */
import { performance } from 'node:perf_hooks';
import type { VerifyOptions } from '../verifier/index.js';
import type { VerifyFn } from './oracles/types.js';

/** Default per-program budget of a campaign, in seconds. */
export const DEFAULT_PROGRAM_SECONDS = 30;

/** Processed instructions between two clock reads in a budgeted verification. */
const CLOCK_EVERY = 64;

/** Thrown out of a stage that went past the program's budget. */
export class OverBudget extends Error {
  constructor(readonly stage: string, readonly ms: number) {
    super(`${stage} went past the program's time budget (${Math.round(ms)} ms)`);
    this.name = 'OverBudget';
  }
}

let deadline = Infinity;
let started = 0;

/** Runs `fn` with a budget of `ms` milliseconds open (nested calls keep the outer, earlier deadline). */
export function withProgramBudget<T>(ms: number, fn: () => T): T {
  const before = deadline, beforeStart = started;
  const now = performance.now();
  if (now + ms < deadline) { deadline = now + ms; started = now; }
  try {
    return fn();
  } finally {
    deadline = before;
    started = beforeStart;
  }
}

/** Milliseconds left of the open budget (Infinity when none is open). */
export function budgetLeftMs(): number {
  return deadline === Infinity ? Infinity : Math.max(0, deadline - performance.now());
}

/** Throws OverBudget when the open budget is spent (the stage names what was running). */
export function checkBudget(stage: string): void {
  if (deadline === Infinity) return;
  const now = performance.now();
  if (now > deadline) throw new OverBudget(stage, now - started);
}

/**
 * `verify` with the open budget enforced inside its exploration: an `onInsn` hook (chained before
 * the caller's own) that counts instructions and reads the clock every CLOCK_EVERY of them.
 */
export function budgetedVerify(verify: VerifyFn): VerifyFn {
  return (program, options = {}) => {
    if (deadline === Infinity) return verify(program, options);
    const inner = options.onInsn;
    let n = 0;
    const onInsn: NonNullable<VerifyOptions['onInsn']> = (pc, st, live) => {
      if (++n === CLOCK_EVERY) { n = 0; checkBudget('verify'); }
      if (inner) inner(pc, st, live);
    };
    return verify(program, { ...options, onInsn });
  };
}

/**
 * Shared check of the fixture tests: each program gets its expected verdict (and message) from
 * bpflab, and, when the running kernel is there, the same verdict with the message in its log.
 */
import { expect } from 'vitest';
import type { Program } from '../../src/isa/program.js';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { verify } from '../../src/verifier/index.js';

export type Expected = ['accept'] | ['reject', string];

const k = kernelAvailable();

/** Whether the kernel comparison runs (the reason printed once per test file otherwise). */
export function kernelCompared(what: string): boolean {
  if (!k.ok) console.log(`${what}: no kernel comparison (${k.reason})`);
  return k.ok;
}

/**
 * `contains`: bpflab's message need only contain the expected text (it is always looked for in the
 * kernel's log). Returns whether the kernel judged the program: false without a kernel, or when it
 * refused the program type itself with EPERM (LSM and fentry programs on some machines).
 */
export function expectVerdict(p: Program, [verdict, message]: Expected, { contains = false } = {}): boolean {
  const r = verify(p);
  expect(r.verdict, `${p.name}: ${r.error?.message}`).toBe(verdict);
  if (message && contains) expect(r.error!.message, p.name).toContain(message);
  else if (message) expect(r.error!.message, p.name).toBe(message);
  if (!k.ok) return false;
  const kr = progLoad(p, { logLevel: 1 });
  if (kr.fd !== null) closeFd(kr.fd);
  if (kr.errno === 'EPERM' && !kr.log.trim()) return false;
  expect(kr.verdict, `${p.name}: kernel ${kr.log.slice(-300)}`).toBe(verdict);
  if (message) expect(kr.log, p.name).toContain(message);
  return true;
}

/** Accepted by bpflab (and the kernel, when there) with as many processed instructions as the kernel; bpflab's count. */
export function expectProcessedLikeKernel(p: Program): number {
  const r = verify(p);
  expect(r.verdict, `${p.name}: ${r.error?.message}`).toBe('accept');
  if (k.ok) {
    const kr = progLoad(p, { logLevel: 0 });
    if (kr.fd !== null) closeFd(kr.fd);
    expect(kr.verdict, `${p.name}: kernel ${kr.log.slice(-300)}`).toBe('accept');
    expect(r.processed, `${p.name}: kernel processed ${kr.processed}`).toBe(kr.processed);
  }
  return r.processed;
}

/** Enough instructions and jumps that the verifier keeps a state at the next prune point (is_state_visited adds one only after 2 jumps and 8 instructions); clobbers r8 and r9. */
export const PRUNE_PAD = Array.from({ length: 4 }, () => 'r8 = 0\nr9 = 0\ngoto +0').join('\n');

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

export function expectVerdict(p: Program, [verdict, message]: Expected): void {
  const r = verify(p);
  expect(r.verdict, `${p.name}: ${r.error?.message}`).toBe(verdict);
  if (message) expect(r.error!.message).toBe(message);
  if (!k.ok) return;
  const kr = progLoad(p, { logLevel: 1 });
  if (kr.fd !== null) closeFd(kr.fd);
  expect(kr.verdict, `${p.name}: kernel ${kr.log.slice(-300)}`).toBe(verdict);
  if (message) expect(kr.log).toContain(message);
}

/**
 * The dynptr / kfunc / BTF-pointer generator (src/fuzz/generators/modern.ts): deterministic under
 * its seed, kfunc calls carry the running kernel's BTF ids, and the kernel and bpflab agree on the
 * programs (when the kernel is here).
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import * as op from '../../src/isa/opcodes.js';
import type { Program } from '../../src/isa/program.js';
import { verify } from '../../src/verifier/index.js';
import { FUZZ_VERIFY_OPTIONS, MODERN_PROG_TYPES, modernBtf, modernProgramArb } from '../../src/fuzz/index.js';
import { loadKernelBtf } from '../../src/loader/core.js';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';

const sample = (n: number, seed: number): Program[] => fc.sample(modernProgramArb(), { numRuns: n, seed });
const kfuncCalls = (p: Program): number[] => p.insns.filter((i) => i.code === (op.BPF_JMP | op.BPF_CALL) && i.src === op.BPF_PSEUDO_KFUNC_CALL).map((i) => i.imm);
const helperCalls = (p: Program): number[] => p.insns.filter((i) => i.code === (op.BPF_JMP | op.BPF_CALL) && i.src === 0).map((i) => i.imm);

describe('modern generator', () => {
  test('the same seed gives the same programs; another seed other programs', () => {
    const a = sample(30, 7), b = sample(30, 7), c = sample(30, 8);
    expect(b.map((p) => p.insns)).toEqual(a.map((p) => p.insns));
    expect(c.map((p) => p.insns)).not.toEqual(a.map((p) => p.insns));
  });

  test('every program type, dynptr helpers in all, and bpflab accepts most', () => {
    const ps = sample(40, 3);
    expect(new Set(ps.map((p) => p.type))).toEqual(new Set(MODERN_PROG_TYPES));
    for (const p of ps) expect(helperCalls(p)).toContain(197); // bpf_dynptr_from_mem
    const accepted = ps.filter((p) => verify(p, FUZZ_VERIFY_OPTIONS).verdict === 'accept').length;
    expect(accepted / ps.length).toBeGreaterThan(0.5);
    expect(accepted).toBeLessThan(ps.length); // near misses are there too
  });

  test.skipIf(modernBtf() === null)('kfunc calls name the kernel BTF functions the generator asked for', () => {
    const btf = loadKernelBtf();
    const names = new Set(sample(80, 4).flatMap(kfuncCalls).map((id) => btf.type(id)?.kind === 'func' ? btf.type(id)!.name : `not a func: ${id}`));
    expect([...names].every((n) => n.startsWith('bpf_'))).toBe(true);
    for (const n of ['bpf_dynptr_from_xdp', 'bpf_dynptr_from_skb', 'bpf_rcu_read_lock', 'bpf_task_from_pid']) expect(names).toContain(n);
  });
});

const k = kernelAvailable();
if (!k.ok) console.log(`skip: modern generator kernel tests: ${k.reason}`);

describe.skipIf(!k.ok)('modern generator against the kernel', () => {
  test('the kernel accepts most programs and judges every one as bpflab does', () => {
    const ps = sample(60, 5);
    let kernelAccepts = 0;
    const differ: string[] = [];
    for (const p of ps) {
      // (root loads: reads of never-written stack are allowed, as the kernel oracle re-checks them)
      const mine = verify(p, { ...FUZZ_VERIFY_OPTIONS, allowUninitStack: true });
      const load = progLoad(p, { logLevel: 1 });
      if (load.fd !== null) closeFd(load.fd);
      if (load.verdict === 'accept') kernelAccepts++;
      if (mine.verdict !== load.verdict) differ.push(`${p.type}: bpflab ${mine.verdict} (${mine.error?.message ?? ''}), kernel ${load.verdict}: ${load.log.trim().split('\n').pop()}`);
    }
    expect(differ).toEqual([]);
    expect(kernelAccepts / ps.length).toBeGreaterThan(0.5);
  });
});

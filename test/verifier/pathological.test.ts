/**
 * The pathological rows of the benchmark: their programs are the instructions they describe (built
 * through the decoder, as every real input is), and bpflab's verdict, message, processed
 * instructions and stored states on them are the running kernel's (compared live when bpf() is
 * available, otherwise with the kernel 6.18 results recorded here).
 */
import { describe, expect, it } from 'vitest';
import { independentBranches, nestedLoops } from '../../src/bench/pathological.js';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { verify } from '../../src/verifier/index.js';

const avail = kernelAvailable();
if (!avail.ok) console.log(`pathological rows: kernel comparison skipped: ${avail.reason}`);

describe('pathological benchmark programs', () => {
  it('are the instructions they describe', () => {
    const p = independentBranches(3);
    expect(p.insns.map((i) => [i.code, i.dst, i.src, i.off, i.imm])).toEqual([
      [0x61, 1, 1, 0, 0], [0xb7, 0, 0, 0, 0],
      [0x15, 1, 0, 1, 0], [0xb7, 0, 0, 0, 0],
      [0x15, 1, 0, 1, 1], [0xb7, 0, 0, 0, 1],
      [0x15, 1, 0, 1, 2], [0xb7, 0, 0, 0, 2],
      [0x95, 0, 0, 0, 0],
    ]);
  });

  it('100,000 independent branches: refused at the 8193rd pending branch, as the kernel does', () => {
    const p = independentBranches(100_000);
    const r = verify(p);
    expect(r.error?.message).toBe('The sequence of 8193 jumps is too complex.');
    expect(r.processed).toBe(16_387);
    expect(r.states).toBe(2048);
    expect(r.peakStates).toBe(2048);
    if (!avail.ok) return;
    const k = progLoad(p, { logLevel: 0 });
    if (k.fd !== null) closeFd(k.fd);
    expect(k.errno).toBe('E2BIG');
    expect(k.processed).toBe(r.processed);
    expect(k.states).toBe(r.states);
  });

  it('nested loops 1000 x 1000: refused at the 1,000,000-insn limit, as the kernel does', () => {
    const p = nestedLoops(1000, 1000);
    const r = verify(p);
    expect(r.error?.message).toBe('BPF program is too large. Processed 1000001 insn');
    expect(r.processed).toBe(1_000_001);
    if (!avail.ok) return;
    const k = progLoad(p, { logLevel: 0 });
    if (k.fd !== null) closeFd(k.fd);
    expect(k.errno).toBe('E2BIG');
    expect(k.processed).toBe(r.processed);
    expect(k.states).toBe(r.states);
  });
});

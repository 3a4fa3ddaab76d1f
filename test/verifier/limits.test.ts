/**
 * The exploration's limits on long inputs: no recursion or argument spread over path-length data
 * (a 130,000-insn rejected path gives the kernel's message), programs over 1,000,000 insns refused
 * up front as the kernel's bpf_prog_load does (E2BIG), and the kernel's prune points.
 */
import { describe, expect, it } from 'vitest';
import { longProgram, straightLineReject } from '../../src/bench/pathological.js';
import { assemble } from '../../src/isa/asm/index.js';
import { buildCfg, verify } from '../../src/verifier/index.js';

describe('verifier limits', () => {
  it('rejects a 130,000-insn straight line at its last read, with the failing path', () => {
    const r = verify(straightLineReject(130_000));
    expect(r.error).toMatchObject({ pc: 129_998, kind: 'uninit_reg', message: 'R5 !read_ok' });
    expect(r.processed).toBe(129_999);
    expect(r.path).toHaveLength(129_999);
  });

  it('refuses a program over 1,000,000 insns before exploring it', () => {
    const r = verify(longProgram(1_000_001));
    expect(r.error?.kind).toBe('too_large');
    expect(r.error?.message).toMatch(/^E2BIG/);
    expect(r.processed).toBe(0);
    expect(verify(longProgram(1000)).verdict).toBe('accept');
  });

  it('marks prune points where the kernel does: conditional jumps and their targets, ja targets, after calls', () => {
    const a = assemble(`
      r6 = r1
      if r6 == 0 goto skip
      call 7
    skip:
      r0 = 0
      goto out
    out:
      exit`);
    const cfg = buildCfg(a.insns);
    // (not the program's first instruction: no jump leads there; with BPF_F_TEST_STATE_FREQ the kernel keeps no checkpoint at 0)
    expect([...cfg.prunePoint].flatMap((v, pc) => (v ? [pc] : []))).toEqual([1, 3, 5]);
    expect(cfg.jmpPoint[2]).toBe(0);
    expect(cfg.jmpPoint[3]).toBe(1);
  });
});

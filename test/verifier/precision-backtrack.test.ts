/**
 * Precision backtracking (backtrack_insn) through instructions Linux 6.18 follows: an atomic
 * fetch's loaded register backtracks like a load, to the stack slot it came from, instead of
 * "falling back to forcing all scalars precise"; a stack pointer compared by a conditional jump
 * (r10 or a copy, INSN_F_SRC/DST_REG_STACK) is not tracked. The mark_precise lines are compared
 * with the running kernel's when it is there.
 */
import { describe, expect, it } from 'vitest';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { verify } from '../../src/verifier/index.js';
import { prog } from '../runtime/util.js';

const k = kernelAvailable();
if (!k.ok) console.log(`precision backtracking: no kernel comparison (${k.reason})`);

describe('precision through an atomic fetch', () => {
  it('the fetched register leads to the stack slot it was loaded from', () => {
    const p = { ...prog(`r1 = 8
*(u64 *)(r10 -8) = r1
r2 = 0
r2 = atomic64_fetch_add((u64 *)(r10 -8), r2)
r3 = r10
r3 += r2
r0 = 0
exit`), name: 'fetch_add_stack' };
    const log = verify(p, { log: true, logLevel: 2 }).log!;
    expect(log).toContain('mark_precise: frame0: regs= stack=-8 before 2: (b7) r2 = 0');
    expect(log).toContain('mark_precise: frame0: regs=r1 stack= before 0: (b7) r1 = 8');
    expect(log).not.toContain('falling back to forcing all scalars precise');
    if (!k.ok) return;
    const kr = progLoad(p, { logLevel: 2 });
    if (kr.fd !== null) closeFd(kr.fd);
    const marks = (s: string) => s.split('\n').filter((l) => l.startsWith('mark_precise')).map((l) => l.trimEnd());
    expect(marks(log)).toEqual(marks(kr.log));
  });
});

describe('precision through a jump comparing a stack pointer', () => {
  it('r3 = r10 compared with a scalar: only the scalar is tracked back', () => {
    const p = { ...prog(`r0 = 0
r2 = 0x2020200025 ll
r3 = r10
if r3 <= r2 goto +1
if r2 <= 8 goto +2
r0 = 2 ll
exit`), name: 'cmp_fp_copy' };
    const log = verify(p, { log: true, logLevel: 2 }).log!;
    expect(log).toContain('mark_precise: frame0: regs=r2 stack= before 3: (bf) r3 = r10');
    expect(log).not.toContain('falling back to forcing all scalars precise');
    if (!k.ok) return;
    const kr = progLoad(p, { logLevel: 2 });
    if (kr.fd !== null) closeFd(kr.fd);
    // (bpflab prints an ld_imm64 constant with its assembler suffix " ll")
    const marks = (t: string) => t.split('\n').filter((l) => l.startsWith('mark_precise')).map((l) => l.trimEnd().replace(/ ll$/, ''));
    expect(marks(log)).toEqual(marks(kr.log));
  });
});

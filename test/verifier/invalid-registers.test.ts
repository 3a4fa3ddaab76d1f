/**
 * Register fields name r0..r15 (4 bits) but only r0..r10 exist (MAX_BPF_REG 11). Linux 6.18
 * judges a register in check_reg_arg, when do_check reaches the instruction ("R15 is invalid",
 * EINVAL), after the instruction's reserved-field checks and in its operand order: source first,
 * except a conditional jump, which reads its destination before anything else. Dead code may
 * name any register; the one up-front refusal is an ld_imm64 whose src (its pseudo kind) is
 * 11..15 ("unrecognized bpf_ld_imm64 insn", resolve_pseudo_ldimm64). Each case is checked in
 * bpflab and, where the kernel is available, against BPF_PROG_LOAD.
 */
import { describe, expect, it } from 'vitest';
import type { Insn } from '../../src/isa/insn.js';
import type { Program } from '../../src/isa/program.js';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { verify } from '../../src/verifier/index.js';

const I = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({ code, dst, src, off, imm });
const EXIT = I(0x95, 0, 0, 0, 0);
// r6 = r1 (ctx, for LD_IND); r0 = 0; *(u64 *)(r10 -8) = 0 -- r2..r5 stay uninitialised
const PRE = [I(0xbf, 6, 1, 0, 0), I(0xb7, 0, 0, 0, 0), I(0x7a, 10, 0, -8, 0)];

/** The instructions under test reached (they end in r0 = 0; exit) or dead (behind `if r0 == 0`). */
const reached = (bad: Insn[]): Insn[] => [...PRE, ...bad, I(0xb7, 0, 0, 0, 0), EXIT];
const dead = (bad: Insn[]): Insn[] => [...PRE, I(0x15, 0, 0, bad.length, 0), ...bad, EXIT];
const prog = (insns: Insn[]): Program => ({ name: 'p', section: '', type: 'socket_filter', insns, maps: [], license: 'GPL' });

/** [what, the instruction(s), the kernel's verdict where reached: 'accept' or its message]. */
const CASES: [string, Insn[], string][] = [
  ['r15 = r0', [I(0xbf, 15, 0, 0, 0)], 'R15 is invalid'],
  ['r0 = r11', [I(0xbf, 0, 11, 0, 0)], 'R11 is invalid'],
  ['r15 = r14: the source first', [I(0xbf, 15, 14, 0, 0)], 'R14 is invalid'],
  ['r15 = r3, r3 uninitialised: the source first', [I(0xbf, 15, 3, 0, 0)], 'R3 !read_ok'],
  ['r12 += 1', [I(0x07, 12, 0, 0, 1)], 'R12 is invalid'],
  ['r3 += r15, r3 uninitialised: the source first', [I(0x0f, 3, 15, 0, 0)], 'R15 is invalid'],
  ['w13 = w0', [I(0xbc, 13, 0, 0, 0)], 'R13 is invalid'],
  ['r0 = (s8)r15', [I(0xbf, 0, 15, 8, 0)], 'R15 is invalid'],
  ['r15 = -r15', [I(0x87, 15, 0, 0, 0)], 'R15 is invalid'],
  ['r15 = le16 r15', [I(0xd4, 15, 0, 0, 16)], 'R15 is invalid'],
  ['mov K with src r11: a reserved field', [I(0xb7, 0, 11, 0, 1)], 'BPF_MOV uses reserved fields'],
  ['r15 += r0 with imm 1: reserved fields first', [I(0x0f, 15, 0, 0, 1)], 'BPF_ALU uses reserved fields'],
  ['r15 = -r15 with imm 1: reserved fields first', [I(0x87, 15, 0, 0, 1)], 'BPF_NEG uses reserved fields'],
  ['r15 = *(u64 *)(r10 -8)', [I(0x79, 15, 10, -8, 0)], 'R15 is invalid'],
  ['r0 = *(u64 *)(r15 -8)', [I(0x79, 0, 15, -8, 0)], 'R15 is invalid'],
  ['r15 = *(u64 *)(r14 -8): the source first', [I(0x79, 15, 14, -8, 0)], 'R14 is invalid'],
  ['r0 = *(s32 *)(r15 -8)', [I(0x81, 0, 15, -8, 0)], 'R15 is invalid'],
  ['*(u64 *)(r15 -8) = r0', [I(0x7b, 15, 0, -8, 0)], 'R15 is invalid'],
  ['*(u64 *)(r10 -8) = r11', [I(0x7b, 10, 11, -8, 0)], 'R11 is invalid'],
  ['*(u64 *)(r15 -8) = r3, r3 uninitialised: the source first', [I(0x7b, 15, 3, -8, 0)], 'R3 !read_ok'],
  ['*(u64 *)(r15 -8) = r0 with imm 1: reserved fields first', [I(0x7b, 15, 0, -8, 1)], 'BPF_STX uses reserved fields'],
  ['*(u64 *)(r15 -8) = 0', [I(0x7a, 15, 0, -8, 0)], 'R15 is invalid'],
  ['ST with src r14: a reserved field', [I(0x7a, 10, 14, -8, 0)], 'BPF_ST uses reserved fields'],
  ['if r15 == r0', [I(0x1d, 15, 0, 0, 0)], 'R15 is invalid'],
  ['if r0 == r15', [I(0x1d, 0, 15, 0, 0)], 'R15 is invalid'],
  ['if r15 == r14: the destination first', [I(0x1d, 15, 14, 0, 0)], 'R15 is invalid'],
  ['if r3 == r15, r3 uninitialised: the destination first', [I(0x1d, 3, 15, 0, 0)], 'R3 !read_ok'],
  ['if r15 == r0 with imm 1: the destination before reserved fields', [I(0x1d, 15, 0, 0, 1)], 'R15 is invalid'],
  ['if r0 == r15 with imm 1: reserved fields before the source', [I(0x1d, 0, 15, 0, 1)], 'BPF_JMP/JMP32 uses reserved fields'],
  ['if r15 == 0 with src r14: the destination before reserved fields', [I(0x15, 15, 14, 0, 0)], 'R15 is invalid'],
  ['if w0 == w13', [I(0x1e, 0, 13, 0, 0)], 'R13 is invalid'],
  ['if w12 > 3', [I(0x26, 12, 0, 0, 3)], 'R12 is invalid'],
  ['lock *(u64 *)(r15 -8) += r0', [I(0xdb, 15, 0, -8, 0x00)], 'R15 is invalid'],
  ['lock *(u64 *)(r15 -8) += r14: the source first', [I(0xdb, 15, 14, -8, 0x00)], 'R14 is invalid'],
  ['atomic64_fetch_add(r10 -8, r15)', [I(0xdb, 10, 15, -8, 0x01)], 'R15 is invalid'],
  ['atomic64_xchg(r10 -8, r11)', [I(0xdb, 10, 11, -8, 0xe1)], 'R11 is invalid'],
  ['atomic64_cmpxchg(r10 -8, r0, r15)', [I(0xdb, 10, 15, -8, 0xf1)], 'R15 is invalid'],
  ['lock *(u32 *)(r10 -8) ^= r15', [I(0xc3, 10, 15, -8, 0xa0)], 'R15 is invalid'],
  ['an unknown atomic operation on r15: the operation first', [I(0xdb, 15, 14, -8, 0x77)], 'BPF_ATOMIC uses invalid atomic opcode 77'],
  ['load-acquire r15 = (r10 -8)', [I(0xdb, 15, 10, -8, 0x100)], 'R15 is invalid'],
  ['load-acquire r15 = (r14 -8): the source first', [I(0xdb, 15, 14, -8, 0x100)], 'R14 is invalid'],
  ['load-acquire r15 = (r6 +8), r6 the context: the address type before the destination', [I(0xdb, 15, 6, 8, 0x100)], 'BPF_ATOMIC loads from R6 ctx is not allowed'],
  ['store-release (r15 -8) = r0', [I(0xdb, 15, 0, -8, 0x110)], 'R15 is invalid'],
  ['store-release (r15 -8) = r3, r3 uninitialised: the source first', [I(0xdb, 15, 3, -8, 0x110)], 'R3 !read_ok'],
  ['r15 = 1 ll', [I(0x18, 15, 0, 0, 1), I(0, 0, 0, 0, 0)], 'R15 is invalid'],
  ['r15 = 1 ll with off 1: reserved fields first', [I(0x18, 15, 0, 1, 1), I(0, 0, 0, 0, 0)], 'BPF_LD_IMM64 uses reserved fields'],
  ['LD_IND with src r15', [I(0x40, 0, 15, 0, 0)], 'R15 is invalid'],
  ['LD_ABS with src r15: a reserved field', [I(0x20, 0, 15, 0, 0)], 'BPF_LD_[ABS|IND] uses reserved fields'],
  ['call with src r15: a reserved field', [I(0x85, 0, 15, 0, 5)], 'BPF_CALL uses reserved fields'],
  ['call with dst r15: a reserved field', [I(0x85, 15, 0, 0, 5)], 'BPF_CALL uses reserved fields'],
  ['goto with dst r15: a reserved field', [I(0x05, 15, 0, 0, 0)], 'BPF_JA uses reserved fields'],
  ['gotol with src r11: a reserved field', [I(0x06, 0, 11, 0, 0)], 'BPF_JA uses reserved fields'],
];

/** The error kind (and with it the errno) of an expected message. */
const kindOf = (message: string): string =>
  message.endsWith('!read_ok') ? 'uninit_reg' : message.startsWith('BPF_ATOMIC loads from') ? 'invalid_mem_access' : 'invalid_insn';

/** bpflab's or the kernel's answer in one comparable line: 'accept' or the message, with the processed count. */
const answer = (verdict: string, message: string | undefined, processed: number | undefined): string =>
  verdict === 'accept' ? 'accept' : `${message} (processed ${processed ?? '?'})`;

describe('r11..r15 are judged where exploration reaches them', () => {
  it.each(CASES)('%s', (_what, bad, expected) => {
    const d = verify(prog(dead(bad)));
    expect(d.error).toBeNull();
    expect(d.processed).toBe(PRE.length + 2); // the dead instruction is not counted
    const r = verify(prog(reached(bad)));
    // the instruction is processed (counted) before it is refused
    expect(answer(r.verdict, r.error?.message, r.processed)).toBe(`${expected} (processed ${PRE.length + 1})`);
    expect(r.error?.kind).toBe(kindOf(expected));
    expect(r.error?.pc).toBe(PRE.length);
  });

  it('an exit naming r15 is refused for its reserved fields where reached', () => {
    for (const last of [I(0x95, 15, 0, 0, 0), I(0x95, 0, 15, 0, 0)]) {
      expect(verify(prog([...PRE, last])).error?.message).toBe('BPF_EXIT uses reserved fields');
      expect(verify(prog([...PRE, I(0x15, 0, 0, 1, 0), last, EXIT])).verdict).toBe('accept');
    }
  });

  it('an ld_imm64 whose pseudo kind (src) is 11..15 is refused up front, even dead', () => {
    for (const src of [11, 15]) {
      const ld = [I(0x18, 0, src, 0, 1), I(0, 0, 0, 0, 0)];
      for (const insns of [dead(ld), reached(ld)]) {
        const v = verify(prog(insns));
        expect(answer(v.verdict, v.error?.message, v.processed)).toBe('unrecognized bpf_ld_imm64 insn (processed 0)');
      }
    }
  });

  it('a log shows the instruction with its register, then the kernel line', () => {
    const v = verify(prog([I(0xb7, 0, 0, 0, 0), I(0xbf, 15, 0, 0, 0), EXIT]), { log: true, logLevel: 1 });
    expect(v.log).toContain('1: (bf) r15 = r0\nR15 is invalid\n');
  });
});

const avail = kernelAvailable();
if (!avail.ok) console.log(`skipping the invalid-register kernel comparison: ${avail.reason}`);

describe.skipIf(!avail.ok)('the running kernel agrees', () => {
  /** The kernel's answer: 'accept', or the last log line that is not statistics, with errno and the processed count. */
  const kernel = (insns: Insn[]): { line: string; errno: string | null } => {
    const r = progLoad(prog(insns), { logLevel: 1 });
    if (r.fd !== null) closeFd(r.fd);
    const lines = r.log.split('\n').filter((l) => l.trim() && !/^(processed|verification time|stack depth|\d+: |func#)/.test(l));
    return { line: answer(r.verdict, lines.at(-1), r.processed), errno: r.errno };
  };
  it('on every case, dead and reached', () => {
    const differences: string[] = [];
    for (const [what, bad, expected] of CASES) {
      const d = kernel(dead(bad));
      if (d.line !== 'accept') differences.push(`${what} (dead): kernel ${d.line}`);
      const r = kernel(reached(bad));
      const want = `${expected} (processed ${PRE.length + 1})`;
      if (r.line !== want) differences.push(`${what}: kernel ${r.line}, expected ${want}`);
      const errno = kindOf(expected) === 'invalid_insn' ? 'EINVAL' : 'EACCES';
      if (r.errno !== errno) differences.push(`${what}: kernel errno ${r.errno}, expected ${errno}`);
    }
    const ld = kernel(dead([I(0x18, 0, 15, 0, 1), I(0, 0, 0, 0, 0)]));
    if (ld.line !== 'unrecognized bpf_ld_imm64 insn (processed 0)' || ld.errno !== 'EINVAL') differences.push(`dead ld_imm64 src 15: kernel ${ld.line} ${ld.errno}`);
    expect(differences).toEqual([]);
  });
});

/**
 * BPF_STX | BPF_ATOMIC of every size is in 6.18's instruction table (the 8- and 16-bit forms came
 * with load-acquire/store-release), so the up-front opcode check lets them through and
 * check_atomic judges an instruction only where exploration reaches it: a 16-bit atomic add in
 * dead code is accepted, a reached one is "invalid atomic operand size" (a kernel-campaign
 * finding: bpflab used to refuse the opcode up front), while a 16-bit load-acquire is valid.
 * Verdicts and messages are the running kernel's when it is there.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import * as op from '../../src/isa/opcodes.js';
import type { Program } from '../../src/isa/program.js';
import { verify } from '../../src/verifier/index.js';
import { expectVerdict, kernelCompared, type Expected } from './expect-verdicts.js';

kernelCompared('atomic sizes');

const ATOMIC_H = op.BPF_STX | op.BPF_ATOMIC | op.BPF_H;

/** `text` with the atomic at `pc` narrowed to 16 bits (the assembler writes only valid sizes). */
function withHalfAtomic(text: string, pc: number): Program {
  const insns = assemble(text).insns;
  insns[pc] = { ...insns[pc]!, code: ATOMIC_H };
  return { name: 'atomic_h', section: 'xdp', type: 'xdp', insns, maps: [], license: 'GPL' };
}

// `0xffffffff` is -1 sign-extended: a u32 is never equal to it, so insn 5 is dead.
const DEAD = withHalfAtomic(`call bpf_get_prandom_u32
*(u32 *)(r10 -24) = r0
r7 = *(u32 *)(r10 -24)
if r7 == 0xffffffff goto +1
goto +1
lock *(u32 *)(r7 +0) += r7
exit`, 5);

const REACHED = withHalfAtomic(`r2 = 0
*(u64 *)(r10 -8) = r2
r1 = r10
lock *(u32 *)(r1 -8) += r2
r0 = 0
exit`, 3);

const CASES: [string, Program, Expected][] = [
  ['a 16-bit atomic add in dead code is never judged', DEAD, ['accept']],
  ['a reached 16-bit atomic add has an invalid operand size', REACHED, ['reject', 'invalid atomic operand size']],
];

describe('atomic operand sizes', () => {
  for (const [name, p, expected] of CASES) it(name, () => expectVerdict(p, expected));

  it('a 16-bit load-acquire is a valid size (only the read-modify-write atomics need 32 or 64 bits)', () => {
    const p = withHalfAtomic(`r1 = r10
r2 = 0
*(u64 *)(r10 -8) = r2
lock *(u64 *)(r1 -8) += r2
r0 = 0
exit`, 3);
    p.insns[3] = { ...p.insns[3]!, code: ATOMIC_H, dst: 0, src: 1, imm: op.BPF_LOAD_ACQ };
    expectVerdict(p, ['accept']);
  });
});

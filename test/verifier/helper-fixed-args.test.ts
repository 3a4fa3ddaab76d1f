/**
 * Fixed-size memory arguments of helpers (ARG_PTR_TO_FIXED_SIZE_MEM with MEM_ALIGNED): the size
 * and alignment are the prototype's, e.g. bpf_check_mtu's in/out `u32 *mtu_len` (4 bytes, 4-byte
 * aligned, read then written). Verdicts and messages are the expected ones, and the running
 * kernel's when it is there.
 */
import { describe, it } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import type { Program } from '../../src/isa/program.js';
import { expectVerdict, kernelCompared, type Expected } from './expect-verdicts.js';

kernelCompared('fixed-size helper arguments');

/** bpf_check_mtu(skb, 0, fp + off, 0, 0) on a tc program, the u32 at fp + off written first (as two u16). */
function checkMtu(off: number): Program {
  const text = `r2 = 0\n*(u16 *)(r10 ${off}) = r2\n*(u16 *)(r10 ${off + 2}) = r2\nr3 = r10\nr3 += ${off}\nr4 = 0\nr5 = 0\ncall bpf_check_mtu\nr0 = 0\nexit`;
  return { name: 'check_mtu', section: 'tc', type: 'sched_cls', insns: assemble(text).insns, maps: [], license: 'GPL' };
}

const CASES: [string, Program, Expected][] = [
  ['a u32 on a 4-byte boundary that is not an 8-byte one', checkMtu(-12), ['accept']],
  ['a u32 off its 4-byte alignment', checkMtu(-6), ['reject', 'misaligned stack access off 0+-6+0 size 4']],
];

describe('fixed-size helper memory', () => {
  for (const [name, p, expected] of CASES) it(name, () => expectVerdict(p, expected));
});

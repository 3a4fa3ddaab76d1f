/**
 * A map value pointer compared with 0 decides the jump only while its variable offset stays below
 * BPF_MAX_VAR_OFF (1 << 29): the running 6.18 kernel explores both sides once the offset may reach
 * it (kernel-campaign finding c3a007). The fall-through writes to a stack offset no program may use,
 * so exploring it is a rejection. Compared with the running kernel when it is there.
 */
import { describe, test } from 'vitest';
import { prog } from '../runtime/util.js';
import { expectVerdict, kernelCompared, type Expected } from './expect-verdicts.js';

kernelCompared('pointer NULL checks with a variable offset');

const withOffset = (mask: string, negate = false): string => `.map m hash key=4 value=64 entries=16
r6 = *(u32 *)(r1 +0)
*(u32 *)(r10 -4) = 0
r2 = r10
r2 += -4
r1 = map[m]
call bpf_map_lookup_elem
if r0 == 0 goto +${negate ? 6 : 5}
${mask}
${negate ? 'r6 = -r6\n' : ''}r0 += r6
if r0 != 0 goto +2
r3 = r10
*(u32 *)(r3 -12902) = 32
exit`;

const CASES: Array<[string, string, Expected]> = [
  ['offset in [0, 2^29 - 1]: never NULL', withOffset('r6 &= 0x1fffffff'), ['accept']],
  ['offset in [0, 2^29]: both sides', withOffset('r6 &= 0x20000000'), ['reject', 'misaligned stack access off 0+0+-12902 size 4']],
  ['a full u32 offset: both sides', withOffset('r6 &= 0xffffffff'), ['reject', 'misaligned stack access off 0+0+-12902 size 4']],
  ['offset in [-7, 0]: never NULL', withOffset('r6 &= 7', true), ['accept']],
];

describe('a pointer with a variable offset compared with NULL', () => {
  for (const [name, text, want] of CASES) test(name, () => expectVerdict({ ...prog(text), name }, want));
});

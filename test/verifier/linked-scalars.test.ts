/**
 * Scalars linked with a constant delta (BPF_ADD_CONST): `r1 = r0; r1 += k` keeps r1 tied to r0
 * so that a branch on either bounds the other (the kernel's sync_linked_regs), as in
 * `if (n - 1 < N) buf[n]` that clang emits for string lengths. Each program's verdict, message and
 * log notation ("id=1-1") are the expected ones, and the running kernel's when it is there.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import type { Program } from '../../src/isa/program.js';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { verify } from '../../src/verifier/index.js';

const k = kernelAvailable();
if (!k.ok) console.log(`linked scalars: no kernel comparison (${k.reason})`);

/** r0 in [0, 255], `link` relates r1 to it, a branch bounds one of them, then fp-16 + r0 (or + r1) is written. */
function prog(link: string, branch: string, index = 'r0'): Program {
  const text = `call bpf_get_prandom_u32\nr0 &= 0xff\nr1 = r0\n${link}\n${branch}\nr2 = r10\nr2 += -16\nr2 += ${index}\nr3 = 0\n*(u8 *)(r2 +0) = r3\nout:\nr0 = 0\nexit`;
  return asm(text);
}

function asm(text: string): Program {
  return { name: 'linked', section: 'socket', type: 'socket_filter', insns: assemble(text).insns, maps: [], license: 'GPL' };
}

const BAD = 'invalid variable-offset write to stack R2 var_off=(0x0; 0xff) off=-16 size=1';
const CASES: [string, Program, 'accept' | 'reject', string][] = [
  ['r1 -= 1, then r1 <= 10 bounds r0', prog('r1 -= 1', 'if r1 > 10 goto out'), 'accept', 'R1=scalar(id=1-1,'],
  ['r1 += -1 is the same link', prog('r1 += -1', 'if r1 > 10 goto out'), 'accept', 'R1=scalar(id=1-1,'],
  ['r1 += 5, then r1 <= 15 bounds r0 to [0, 10]', prog('r1 += 5', 'if r1 > 15 goto out'), 'accept', 'R1=scalar(id=1+5,'],
  ['a branch on r0 bounds r1', prog('r1 += 4', 'if r0 > 8 goto out', 'r1'), 'accept', 'R1=scalar(id=1+4,'],
  ['a second delta breaks the link', prog('r1 += 1\nr1 += 1', 'if r1 > 10 goto out'), 'reject', BAD],
  ['a copy of an offset scalar links to the copy only', prog('r1 += 1\nr4 = r1', 'if r4 > 10 goto out'), 'reject', BAD],
  ['a spill of an offset scalar leaves the link', prog('r1 += -3\n*(u64 *)(r10 -8) = r1', 'if r1 > 9 goto out'), 'reject', BAD],
  ['other ALU operations break the link', prog('r1 ^= 1', 'if r1 > 10 goto out'), 'reject', BAD],
  // 32-bit adds (BPF_ADD_CONST32): linked when dst was a 32-bit value before the add
  ['w1 += -1 on a 32-bit value links too', prog('w1 += -1', 'if w1 > 10 goto out'), 'accept', 'R1=scalar(id=1-1,'],
  ['a branch on r0 moves a zero-extended value into the 32-bit link',
    asm('call bpf_get_prandom_u32\nr0 &= 0xffff\nw1 = w0\nw1 += -100\nif r0 < 10 goto l1\nr0 = 0\nexit\nl1:\nr2 = r1\nr0 = 0\nexit'),
    'accept', 'R1=scalar(id=1-100,smin=umin=umin32=0xffffff9c,smax=umax=umax32=0xffffffa5,smin32=-100,smax32=-91,var_off=(0xffffff80; 0x3f))'],
  ['a branch on the 32-bit link zero-extends the value moved into its base',
    asm('call bpf_get_prandom_u32\nr0 |= 0xffffff00\nr0 <<= 32\nr0 >>= 32\nw1 = w0\nw1 += 0x100\nif w1 < 0x10 goto l1\nr0 = 0\nexit\nl1:\nr2 = r0\nr0 = 0\nexit'),
    'accept', 'R0=scalar(id=1,smin=umin=umin32=0xffffff00,smax=umax=umax32=0xffffff0f,smin32=-256,smax32=-241,var_off=(0xffffff00; 0xf))'],
  ['a 32-bit add of a 64-bit value is not linked', asm('call bpf_get_prandom_u32\nr1 = r0\nw1 += -2\nif w1 > 10 goto out\nr2 = r0\nout:\nr0 = 0\nexit'),
    'accept', '(04) w1 += -2                      ; R1=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))'],
];

describe('scalars linked with a constant delta', () => {
  it.each(CASES)('%s', (_name, p, verdict, what) => {
    const r = verify(p, { log: true, logLevel: 2 });
    expect(r.verdict, r.error?.message).toBe(verdict);
    if (verdict === 'reject') expect(r.error!.message).toBe(what);
    else expect(r.log).toContain(what);
    if (!k.ok) return;
    const kr = progLoad(p, { logLevel: 2 });
    if (kr.fd !== null) closeFd(kr.fd);
    expect(kr.verdict).toBe(verdict);
    expect(kr.log).toContain(what);
  });
});

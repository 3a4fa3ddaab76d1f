/**
 * BPF_END as 6.18 tracks it (scalar_byte_swap): sound for every member of many abstract values at
 * width 8, exact on the tnum (a byte swap permutes bits, so the result tnum is the abstraction of
 * the swapped members), and the same verdicts as the running kernel on programs that index the
 * stack with a byte-swapped bounded value.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import type { Program } from '../../src/isa/program.js';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { verify } from '../../src/verifier/index.js';
import { abstractValues, alpha, gamma, K8, members, SEM8 } from './enum.js';

const KINDS = ['le', 'be', 'bswap'] as const;
const BITS = [16, 32, 64] as const;

describe('byte swaps at width 8', () => {
  it('keep every member (le/be/bswap at 16/32/64)', () => {
    const bad: string[] = [];
    for (const a of abstractValues(400, 7)) {
      for (const kind of KINDS) for (const b of BITS) {
        const r = K8.end(a, b, kind);
        const g = gamma(r);
        for (const x of members(gamma(a))) {
          const y = Number(SEM8.end(BigInt(x), b, kind));
          if (!g[y]) bad.push(`${kind}${b} of ${x} -> ${y}`);
        }
      }
    }
    expect(bad.slice(0, 5)).toEqual([]);
  });

  it('give exactly the tnum of the swapped members', () => {
    for (let value = 0; value < 256; value++) for (let mask = 0; mask < 256; mask++) {
      if (value & mask) continue;
      const ms: number[] = [];
      for (let x = 0; x < 256; x++) if ((x & ~mask) === value) ms.push(x);
      for (const kind of ['be', 'bswap'] as const) for (const b of BITS) {
        const t = K8.t.bswap({ value: BigInt(value), mask: BigInt(mask) }, (b * 8) / 64);
        const best = alpha(ms.map((x) => Number(SEM8.end(BigInt(x), b, kind))));
        expect([t.value, t.mask]).toEqual([best.value, best.mask]);
      }
    }
  });
});

const prog = (body: string): Program => {
  const text = ['r0 = *(u32 *)(r1 + 0)', body, 'r3 = r10', 'r3 += -64', 'r3 += r0', 'r4 = 0', '*(u8 *)(r3 + 0) = r4', 'r0 = 0', 'exit'].join('\n');
  return { name: 'bswap', section: '', type: 'socket_filter', insns: assemble(text).insns, maps: [], license: 'GPL' };
};

/** A bounded value through byte swaps, then used as a stack offset (in range only if tracked). */
const PROGRAMS: Record<string, string> = {
  'be16 twice': 'r0 &= 15\nr0 = be16 r0\nr0 = be16 r0',
  'be16 once (0..0xf00: out of range)': 'r0 &= 15\nr0 = be16 r0',
  'be16 of a high byte': 'r0 &= 0x3f00\nr0 = be16 r0',
  'be32 of a top byte': 'r0 &= 0x3f000000\nr0 = be32 r0',
  'bswap64 then >> 56': 'r0 &= 0x3f\nr0 = bswap64 r0\nr0 >>= 56',
  'bswap32 then >> 24': 'r0 &= 0x3f\nr0 = bswap32 r0\nr0 >>= 24',
  'bswap32 of 0..0x7f (out of range)': 'r0 &= 0x7f\nr0 = bswap32 r0\nr0 >>= 24',
  'le16 drops bit 16': 'r0 &= 0x1003f\nr0 = le16 r0',
  'le16 then +1 (out of range)': 'r0 &= 0x1007f\nr0 = le16 r0',
  'le64 keeps the range': 'r0 &= 0x3f\nr0 = le64 r0',
  'bswap16 of a sign-extended byte': 'r0 = (s8) r0\nr0 = bswap16 r0\nr0 &= 0x1f',
};

const avail = kernelAvailable();
if (!avail.ok) console.log(`skipping the byte-swap kernel comparison: ${avail.reason}`);

describe.skipIf(!avail.ok)('byte swaps against the running kernel', () => {
  for (const [name, body] of Object.entries(PROGRAMS)) {
    it(name, () => {
      const p = prog(body);
      const mine = verify(p, { allowUninitStack: true });
      const k = progLoad(p, { logLevel: 0 });
      if (k.fd !== null) closeFd(k.fd);
      expect(mine.verdict).toBe(k.verdict);
    });
  }
});

/**
 * LD_ABS / LD_IND with the negative bases: SKF_NET_OFF + k reads from the network header,
 * SKF_LL_OFF + k from the MAC header (which a socket filter's skb->data has already passed),
 * lower offsets fail; on the VM and the JIT, compared with BPF_PROG_TEST_RUN.
 */
import { describe, expect, it } from 'vitest';
import { Jit } from '../../src/jit/index.js';
import { kernelAvailable, runInKernel } from '../../src/kernel/index.js';
import { Vm } from '../../src/vm/index.js';
import { prog } from './util.js';

const k = kernelAvailable();
if (!k.ok) console.log(`skip kernel comparisons of LD_ABS negative offsets: ${k.reason}`);

const SKF_NET_OFF = -0x100000;
const SKF_LL_OFF = -0x200000;
const frame = Uint8Array.from({ length: 60 }, (_, i) => (i * 7 + 3) & 0xff);
frame[12] = 0x08; frame[13] = 0x00;

const CASES: [string, number, 'u8' | 'u16' | 'u32'][] = [
  ['net+0', SKF_NET_OFF, 'u8'], ['net+1', SKF_NET_OFF + 1, 'u16'], ['net last word', SKF_NET_OFF + 42, 'u32'], ['net past the end', SKF_NET_OFF + 43, 'u32'],
  ['ll+0', SKF_LL_OFF, 'u8'], ['ll+12 (EtherType)', SKF_LL_OFF + 12, 'u16'], ['ll last word', SKF_LL_OFF + 56, 'u32'], ['ll past the end', SKF_LL_OFF + 57, 'u32'],
  ['below SKF_LL_OFF', SKF_LL_OFF - 1, 'u8'], ['SKF_NET_OFF - 1', SKF_NET_OFF - 1, 'u8'], ['-1', -1, 'u8'], ['0', 0, 'u8'],
];
/** LD_ABS, and the same offset through LD_IND (r7 = offset - 5, imm 5). */
const ldAbs = (off: number, size: string, type: 'socket_filter' | 'sched_cls') => prog(`r6 = r1\nr0 = *(${size} *)skb[${off}]\nr0 += 0x10000000\nexit`, type);
const ldInd = (off: number, size: string, type: 'socket_filter' | 'sched_cls') => prog(`r6 = r1\nr7 = ${off - 5}\nr0 = *(${size} *)skb[r7 + 5]\nr0 += 0x10000000\nexit`, type);

const engines = (p: ReturnType<typeof prog>): bigint[] => [
  new Vm(p).run({ packet: frame }).r0,
  new Jit(p, { mode: 'checked' }).run({ packet: frame }).r0,
  new Jit(p, { mode: 'trusted' }).run({ packet: frame }).r0,
];

describe('LD_ABS / LD_IND negative offsets', () => {
  it('address the network and MAC headers of a socket filter, VM and JIT alike', () => {
    expect(engines(ldAbs(SKF_NET_OFF, 'u8', 'socket_filter'))).toEqual(new Array(3).fill(0x10000000n + BigInt(frame[14]!)));
    expect(engines(ldInd(SKF_LL_OFF + 12, 'u16', 'socket_filter'))).toEqual(new Array(3).fill(0x10000800n));
    expect(engines(ldAbs(SKF_LL_OFF - 1, 'u8', 'socket_filter'))).toEqual([0n, 0n, 0n]);
  });
  for (const type of ['socket_filter', 'sched_cls'] as const) {
    it.skipIf(!k.ok)(`${type}: VM and JIT vs kernel`, () => {
      for (const [what, off, size] of CASES) {
        for (const p of [ldAbs(off, size, type), ldInd(off, size, type)]) {
          const kr = runInKernel(p, { data: frame });
          expect(kr.load.verdict, kr.load.log).toBe('accept');
          expect(engines(p).map((r) => r & 0xffffffffn), what).toEqual(new Array(3).fill(BigInt(kr.run!.retval)));
        }
      }
    });
  }
});

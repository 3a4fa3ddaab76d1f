/**
 * may_access_direct_pkt_data (Linux 6.18): lwt_seg6local is among the program types that read
 * their packet directly but never write it ("cannot write into packet"), like lwt_in/out,
 * sk_reuseport, flow_dissector and cgroup_skb; lwt_xmit writes. Compared with the running kernel.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import type { Program } from '../../src/isa/program.js';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { verify } from '../../src/verifier/index.js';

const k = kernelAvailable();
if (!k.ok) console.log(`lwt packet writes: no kernel comparison (${k.reason})`);

/** Loads data/data_end, checks one byte, then reads or writes it. */
function program(type: Program['type'], write: boolean): Program {
  const a = assemble(`.type ${type}
    r2 = *(u32 *)(r1 +76)
    r3 = *(u32 *)(r1 +80)
    r4 = r2
    r4 += 1
    if r4 > r3 goto out
    ${write ? 'r5 = 1\n    *(u8 *)(r2 +0) = r5' : 'r5 = *(u8 *)(r2 +0)'}
out:
    r0 = 0
    exit
`);
  return { name: `${type}_${write ? 'write' : 'read'}`, section: '', type, insns: a.insns, maps: a.maps, license: 'GPL' };
}

describe('direct packet access of lwt programs', () => {
  const cases: [Program['type'], boolean, string | null][] = [
    ['lwt_seg6local', false, null],
    ['lwt_seg6local', true, 'cannot write into packet'],
    ['lwt_in', true, 'cannot write into packet'],
    ['lwt_xmit', true, null],
  ];
  for (const [type, write, message] of cases) {
    it(`${type} ${write ? 'write' : 'read'}`, () => {
      const p = program(type, write);
      const r = verify(p);
      expect(r.error?.message ?? null).toBe(message);
      if (!k.ok) return;
      const kr = progLoad(p, { logLevel: 1 });
      if (kr.fd !== null) closeFd(kr.fd);
      expect(kr.fd !== null).toBe(message === null);
    });
  }
});

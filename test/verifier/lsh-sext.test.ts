/**
 * The sign-extension idiom "r <<= 32; r s>>= 32" on a negative 32-bit range: 6.18's
 * __scalar64_min_max_lsh takes the s32 bounds shifted by 32 as the signed bounds whatever their
 * sign, so [-10, -1] stays [-10, -1] (not the [-16, -1] var_off alone gives) and a comparison
 * against -10 is decided. Found on a real-program pattern (a bpf_res_spin_lock error code,
 * known to lie in [-4095, -1] in its low 32 bits, sign-extended): the kernel processed one
 * instruction less. Compared with the running kernel when it is there.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import type { Program } from '../../src/isa/program.js';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { verify } from '../../src/verifier/index.js';

const k = kernelAvailable();
if (!k.ok) console.log(`lsh sign extension: no kernel comparison (${k.reason})`);

function asm(text: string): Program {
  return { name: 'sext', section: 'socket', type: 'socket_filter', insns: assemble(text).insns, maps: [], license: 'GPL' };
}

/** w0 in [lo, -1], sign-extended; the load through a scalar is reached only if `if r0 s>= lo` is not decided. */
const prog = (lo: number, cmp: number): Program => asm([
  'r0 = *(u32 *)(r1 +0)',
  'if w0 s> -1 goto out',
  `if w0 s< ${lo} goto out`,
  'r0 <<= 32',
  'r0 s>>= 32',
  `if r0 s>= ${cmp} goto out`,
  'r0 = *(u64 *)(r0 +0)',
  'out:',
  'r0 = 0',
  'exit',
].join('\n'));

describe('<<32 of a negative subregister keeps its signed bounds', () => {
  for (const [lo, cmp, verdict] of [[-10, -10, 'accept'], [-10, -9, 'reject'], [-4095, -4095, 'accept']] as const) {
    it(`w0 in [${lo}, -1], sign-extended, then r0 s>= ${cmp}: ${verdict}`, () => {
      const p = prog(lo, cmp);
      const r = verify(p);
      expect(r.verdict, r.error?.message).toBe(verdict);
      if (verdict === 'reject') expect(r.error?.message).toBe("R0 invalid mem access 'scalar'");
      if (!k.ok) return;
      const kr = progLoad(p, { logLevel: 1 });
      if (kr.fd !== null) closeFd(kr.fd);
      expect(kr.verdict, kr.log.slice(-300)).toBe(verdict);
      expect(kr.processed).toBe(r.processed);
    });
  }
});

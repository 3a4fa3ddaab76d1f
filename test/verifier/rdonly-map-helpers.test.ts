/**
 * record_func_map (Linux 6.18 verifier.c): after the arguments are checked, and before the
 * map/helper compatibility, bpf_map_update_elem, bpf_map_delete_elem, bpf_map_push_elem and
 * bpf_map_pop_elem refuse a map whose stored map_flags hold BPF_F_RDONLY_PROG ("write into map
 * forbidden"); lookups and bpf_map_peek_elem stay allowed. The stored flags include the ones a
 * map's allocator adds, so a devmap update fails this way rather than as an incompatible map type.
 * Compared with the running kernel where bpf() is available.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import type { Program } from '../../src/isa/program.js';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { firstKernelError } from '../../src/verifier/kernel-log.js';
import { verify } from '../../src/verifier/index.js';

const k = kernelAvailable();
if (!k.ok) console.log(`read-only maps and the map helpers: no kernel comparison (${k.reason})`);

const RDONLY_PROG = 0x80;
const setup = `    r1 = 0
    *(u64 *)(r10 - 8) = r1
    r2 = r10
    r2 += -8
    r3 = r10
    r3 += -8`;

const cases: { name: string; map: string; call: string; verdict: 'accept' | 'reject' }[] = [
  { name: 'update_rdonly_array', map: `array key=4 value=8 entries=4 flags=${RDONLY_PROG}`, call: 'r4 = 0\n    call bpf_map_update_elem', verdict: 'reject' },
  { name: 'delete_rdonly_hash', map: `hash key=4 value=8 entries=4 flags=${RDONLY_PROG}`, call: 'call bpf_map_delete_elem', verdict: 'reject' },
  { name: 'lookup_rdonly_hash', map: `hash key=4 value=8 entries=4 flags=${RDONLY_PROG}`, call: 'call bpf_map_lookup_elem', verdict: 'accept' },
  { name: 'push_rdonly_queue', map: `queue key=0 value=8 entries=4 flags=${RDONLY_PROG}`, call: 'r2 = r3\n    r3 = 0\n    call bpf_map_push_elem', verdict: 'reject' },
  { name: 'pop_rdonly_queue', map: `queue key=0 value=8 entries=4 flags=${RDONLY_PROG}`, call: 'r2 = r3\n    call bpf_map_pop_elem', verdict: 'reject' },
  { name: 'peek_rdonly_queue', map: `queue key=0 value=8 entries=4 flags=${RDONLY_PROG}`, call: 'r2 = r3\n    call bpf_map_peek_elem', verdict: 'accept' },
  { name: 'update_writable_array', map: 'array key=4 value=8 entries=4', call: 'r4 = 0\n    call bpf_map_update_elem', verdict: 'accept' },
  { name: 'update_devmap', map: 'devmap key=4 value=4 entries=4', call: 'r4 = 0\n    call bpf_map_update_elem', verdict: 'reject' },
];

const program = (c: (typeof cases)[number]): Program => {
  const a = assemble(`.type xdp
.map m ${c.map}
${setup}
    r1 = map[m]
    ${c.call}
    r0 = 2
    exit
`);
  return { name: c.name, section: 'xdp', type: 'xdp', insns: a.insns, maps: a.maps, license: 'GPL' };
};

describe('map helpers on a BPF_F_RDONLY_PROG map', () => {
  for (const c of cases) {
    it(`${c.name}: ${c.verdict}`, () => {
      const p = program(c);
      const mine = verify(p);
      expect(mine.verdict).toBe(c.verdict);
      if (c.verdict === 'reject') expect(mine.error?.message).toBe('write into map forbidden');
      if (!k.ok) return;
      const kr = progLoad(p, { logLevel: 1 });
      if (kr.fd !== null) closeFd(kr.fd);
      expect(kr.verdict).toBe(mine.verdict);
      expect(kr.processed).toBe(mine.processed);
      if (kr.verdict === 'reject') expect(firstKernelError(kr.log)).toBe(mine.error?.message);
    });
  }
});

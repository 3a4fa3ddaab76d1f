/**
 * dev_map_init_map (kernel/bpf/devmap.c, Linux 6.18) ORs BPF_F_RDONLY_PROG into every devmap and
 * devmap_hash: a lookup returns a pointer straight to the device's ifindex. So an XDP program may
 * read the value bpf_map_lookup_elem returns, but check_map_access_type refuses a store into it
 * ("write into map forbidden") though the object's map_flags were 0. Compared with the running
 * kernel where bpf() is available.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import type { Program } from '../../src/isa/program.js';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { firstKernelError } from '../../src/verifier/kernel-log.js';
import { verify } from '../../src/verifier/index.js';

const k = kernelAvailable();
if (!k.ok) console.log(`devmap read-only values: no kernel comparison (${k.reason})`);

const program = (mapType: string, access: string): Program => {
  const a = assemble(`.type xdp
.map dm ${mapType} key=4 value=4 entries=4
    r1 = 0
    *(u32 *)(r10 - 4) = r1
    r2 = r10
    r2 += -4
    r1 = map[dm]
    call bpf_map_lookup_elem
    if r0 == 0x0 goto out
    ${access}
out:
    r0 = 2
    exit
`);
  return { name: `${mapType}_value`, section: 'xdp', type: 'xdp', insns: a.insns, maps: a.maps, license: 'GPL' };
};

const store = 'r1 = 1\n    *(u32 *)(r0 + 0) = r1';
const load = 'r1 = *(u32 *)(r0 + 0)';

describe('a devmap value from bpf_map_lookup_elem', () => {
  for (const mapType of ['devmap', 'devmap_hash']) {
    it(`${mapType}: a store is refused, a load allowed`, () => {
      const w = verify(program(mapType, store));
      expect(w.error?.message).toBe('write into map forbidden, value_size=4 off=0 size=4');
      const r = verify(program(mapType, load));
      expect(r.error).toBeNull();
      if (!k.ok) return;
      for (const [p, mine] of [[program(mapType, store), w], [program(mapType, load), r]] as const) {
        const kr = progLoad(p, { logLevel: 1 });
        if (kr.fd !== null) closeFd(kr.fd);
        expect(mine.verdict).toBe(kr.verdict);
        expect(mine.processed).toBe(kr.processed);
        if (kr.verdict === 'reject') expect(mine.error?.message).toBe(firstKernelError(kr.log));
      }
    });
  }
});

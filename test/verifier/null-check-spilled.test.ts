/**
 * mark_ptr_or_null_regs on spilled copies: after `if r0 == 0` every copy of the nullable pointer,
 * spilled ones too, becomes the map value on one side and the constant 0 on the other. The spill
 * slots are shared (copy-on-write) between the state and the branch it pushes, so each side must
 * get its own copy: the other side's slot keeps what that side learned. Compared with the running
 * kernel's level-2 log (verdict, processed count, the states at the loads) where bpf() is available.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import type { Program } from '../../src/isa/program.js';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { verify } from '../../src/verifier/index.js';

const k = kernelAvailable();
if (!k.ok) console.log(`null check of spilled copies: no kernel comparison (${k.reason})`);

const program = (tail: string): Program => {
  const a = assemble(`.type socket_filter
.map m hash key=4 value=16 entries=2
    r1 = 0
    *(u32 *)(r10 -4) = r1
    r2 = r10
    r2 += -4
    r1 = map[m]
    call bpf_map_lookup_elem
    *(u64 *)(r10 -16) = r0
    *(u64 *)(r10 -24) = r0
    r6 = 1
    *(u64 *)(r10 -32) = r6
    if r0 == 0x0 goto null
    r1 = *(u64 *)(r10 -16)
    r0 = *(u64 *)(r1 +8)
    r1 = *(u64 *)(r10 -24)
    r0 = *(u64 *)(r1 +0)
    r0 = 0
    exit
null:
${tail}
`);
  return { name: 'null_check_spilled', section: 'socket', type: 'socket_filter', insns: a.insns, maps: a.maps, license: 'GPL' };
};

/** The null side reads its spilled copy back as the scalar 0 (returned), or dereferences it (refused). */
const asZero = program('    r0 = *(u64 *)(r10 -24)\n    exit');
const deref = program('    r1 = *(u64 *)(r10 -16)\n    r0 = *(u64 *)(r1 +0)\n    exit');

/** The log lines of the loads from the spill slots, with their states. */
const loadLines = (log: string): string[] => log.split('\n').filter((l) => /^\d+: \(79\) r\d = \*\(u64 \*\)\(r10 -(16|24)\)/.test(l));

describe('a NULL check reaches the spilled copies of the pointer', () => {
  it('map value on the non-NULL side, 0 on the other', () => {
    const r = verify(asZero, { log: true, logLevel: 2 });
    expect(r.error).toBeNull();
    const lines = loadLines(r.log!);
    expect(lines.some((l) => /R1=map_value\(map=m,ks=4,vs=16\) R10=fp0 fp-16=map_value/.test(l))).toBe(true);
    expect(lines.some((l) => /R0=0 R10=fp0 fp-24=0/.test(l))).toBe(true);
    if (!k.ok) return;
    const kr = progLoad(asZero, { logLevel: 2 });
    if (kr.fd !== null) closeFd(kr.fd);
    expect(kr.verdict).toBe('accept');
    expect(r.processed).toBe(kr.processed);
    expect(lines).toEqual(loadLines(kr.log));
  });

  it('the NULL side cannot dereference its copy', () => {
    const r = verify(deref, { log: true, logLevel: 2 });
    expect(r.verdict).toBe('reject');
    expect(r.error!.message).toMatch(/R1 invalid mem access 'scalar'/);
    if (!k.ok) return;
    const kr = progLoad(deref, { logLevel: 2 });
    if (kr.fd !== null) closeFd(kr.fd);
    expect(kr.verdict).toBe('reject');
    expect(r.processed).toBe(kr.processed);
    expect(loadLines(r.log!)).toEqual(loadLines(kr.log));
  });
});

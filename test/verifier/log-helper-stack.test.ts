/**
 * The log's state after a helper call shows the stack slots the helper wrote (check_mem_access per
 * byte marks them scratched) but not those it only read (check_stack_range_initialized marks none):
 * Linux 6.18 prints `call bpf_map_lookup_elem#1 ; R0=map_value_or_null(...)` without the key's slot.
 * Compared with the running kernel's level-2 log where bpf() is available.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import type { Program } from '../../src/isa/program.js';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { verify } from '../../src/verifier/index.js';

const k = kernelAvailable();
if (!k.ok) console.log(`helper stack log lines: no kernel comparison (${k.reason})`);

const a = assemble(`.type sched_cls
.map m hash key=4 value=8 entries=4
    r6 = r1
    *(u32 *)(r10 -4) = 0
    r2 = r10
    r2 += -4
    r1 = map[m]
    call bpf_map_lookup_elem
    r1 = r6
    r2 = 0
    r3 = r10
    r3 += -16
    r4 = 8
    call bpf_skb_load_bytes
    r0 = 0
    exit
`);
const prog: Program = { name: 'helper_stack', section: '', type: 'sched_cls', insns: a.insns, maps: a.maps, license: 'GPL' };

/** The call lines and the first state line after each (`N: R...`, precision lines skipped). */
const around = (log: string): string[] => {
  const lines = log.split('\n');
  return lines.flatMap((l, i) => (/^\d+: \(85\)/.test(l) ? [l, lines.slice(i + 1).find((x) => /^\d+: [R(]/.test(x)) ?? ''] : []));
};

describe('log lines after helper calls', () => {
  it('a slot the helper read is not printed; one it wrote is', () => {
    const mine = around(verify(prog, { log: true, logLevel: 2 }).log!);
    expect(mine[0]).toBe('6: (85) call bpf_map_lookup_elem#1    ; R0=map_value_or_null(id=1,map=m,ks=4,vs=8)');
    expect(mine[3]).toBe('13: R0=scalar() fp-16=mmmmmmmm');
    if (!k.ok) return;
    const kr = progLoad(prog, { logLevel: 2 });
    if (kr.fd !== null) closeFd(kr.fd);
    expect(mine).toEqual(around(kr.log));
  });

  it('a MEM_WRITE buffer filled without MEM_UNINIT (bpf_sysctl_get_name) is not printed either', () => {
    const b = assemble(`.type cgroup_sysctl
    r2 = r10
    r2 += -8
    r3 = 8
    r4 = 0
    call bpf_sysctl_get_name
    r0 = 1
    exit
`);
    const p: Program = { name: 'sysctl_name', section: '', type: 'cgroup_sysctl', insns: b.insns, maps: b.maps, license: 'GPL' };
    const mine = around(verify(p, { log: true, logLevel: 2 }).log!);
    expect(mine[0]).toBe('4: (85) call bpf_sysctl_get_name#101');
    expect(mine[1]).toMatch(/^5: R0=scalar\(\)/);
    expect(mine.join('\n')).not.toContain('fp-8=');
    if (!k.ok) return;
    const kr = progLoad(p, { logLevel: 2 });
    if (kr.fd !== null) closeFd(kr.fd);
    expect(mine).toEqual(around(kr.log));
  });
});

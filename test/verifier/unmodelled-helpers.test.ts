/**
 * Helpers bpflab has no prototype for (the lirc rc_* helpers, the LSM-only bprm_opts_set and IMA
 * hashes): outside the program types whose get_func_proto offers them, the kernel refuses the call
 * before its arguments ("program of this type cannot use helper"), so bpflab gives that verdict and
 * message too; inside them it says it cannot judge the call. Compared with the running kernel
 * where bpf() is available.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import type { Program, ProgType } from '../../src/isa/program.js';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { verify } from '../../src/verifier/index.js';

const k = kernelAvailable();
if (!k.ok) console.log(`unmodelled helpers: no kernel comparison (${k.reason})`);

const program = (type: ProgType, helper: string): Program => {
  const a = assemble(`.type ${type}
    r1 = 0
    r2 = 0
    r3 = 0
    call ${helper}
    r0 = 0
    exit
`);
  return { name: `${type}_${helper}`, section: '', type, insns: a.insns, maps: a.maps, license: 'GPL' };
};

const CASES: [ProgType, string, string][] = [
  ['socket_filter', 'bpf_rc_repeat', 'bpf_rc_repeat#77'],
  ['sched_cls', 'bpf_rc_keydown', 'bpf_rc_keydown#78'],
  ['xdp', 'bpf_rc_pointer_rel', 'bpf_rc_pointer_rel#92'],
  ['kprobe', 'bpf_bprm_opts_set', 'bpf_bprm_opts_set#159'],
  ['tracepoint', 'bpf_ima_inode_hash', 'bpf_ima_inode_hash#161'],
  ['cgroup_skb', 'bpf_ima_file_hash', 'bpf_ima_file_hash#193'],
];

describe('helpers without a bpflab prototype', () => {
  for (const [type, helper, shown] of CASES) {
    it(`${helper} in ${type}: refused as the kernel refuses it`, () => {
      const prog = program(type, helper);
      const r = verify(prog, { log: true });
      expect(r.verdict).toBe('reject');
      expect(r.error?.message).toBe(`program of this type cannot use helper ${shown}`);
      if (!k.ok) return;
      const kr = progLoad(prog, { logLevel: 1 });
      if (kr.fd !== null) closeFd(kr.fd);
      expect(kr.fd).toBeNull();
      expect(kr.log).toContain(`program of this type cannot use helper ${shown}`);
    });
  }

  it('in the types that may be offered them, bpflab says it cannot judge the call', () => {
    const r = verify(program('lirc_mode2', 'bpf_rc_repeat'));
    expect(r.verdict).toBe('reject');
    expect(r.error?.message).toBe('bpflab does not model helper bpf_rc_repeat#77');
  });
});

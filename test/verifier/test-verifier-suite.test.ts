/**
 * Mechanisms the kernel's older test_verifier suite exercises (bench/extra-selftests/
 * test-verifier.sh runs it whole beside bpflab), each in a program written here:
 * - a kfunc call with btf_id 0 is left by add_kfunc_call for fixup_kfunc_call: accepted in dead
 *   code, and where a path reaches it the call changes nothing and the program is refused only
 *   after exploration ("invalid kernel function call not eliminated in verifier pass");
 * - a variable-offset write of zero keeps a spilled scalar 0 (check_stack_write_var_off), so a
 *   byte read back from it is still 0;
 * - cgroup_device, cgroup_sysctl and cgroup_sockopt programs may call bpf_perf_event_output
 *   (cgroup_current_func_proto).
 * Verdicts and messages are the running kernel's when it is there.
 */
import { describe, it } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import type { Insn } from '../../src/isa/insn.js';
import type { Program, ProgType } from '../../src/isa/program.js';
import { expectVerdict, kernelCompared, type Expected } from './expect-verdicts.js';

kernelCompared('test_verifier mechanisms');

const ins = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn => ({ code, dst, src, off, imm });
const KFUNC_ID0 = ins(0x85, 0, 2, 0, 0);
const prog = (name: string, type: ProgType, insns: Insn[], extra: Partial<Program> = {}): Program =>
  ({ name, section: '', type, insns, maps: [], license: 'GPL', ...extra });

const kfuncDead = prog('kfunc0_dead', 'tracepoint', [ins(0xb7, 0, 0, 0, 1), ins(0x25, 0, 0, 2, 0), KFUNC_ID0, ins(0xb7, 0, 0, 0, 1), ins(0x95)]);
const kfuncReached = prog('kfunc0_reached', 'tracepoint', [ins(0xb7, 0, 0, 0, 1), KFUNC_ID0, ins(0x95)]);

// r0 in [-32, -16]: the byte write may land in fp-24's spilled 0; fp-20 must still read as 0
// (sk_lookup programs must return 0 or 1).
const stZero = prog('st_zero_var_off', 'sk_lookup', assemble(`*(u64 *)(r10 -16) = 0
*(u64 *)(r10 -24) = 0
call bpf_get_prandom_u32
if r0 <= 16 goto +2
r0 = 0
exit
r0 -= 32
r0 += r10
*(u8 *)(r0 +0) = 0
r0 = *(u8 *)(r10 -20)
exit`).insns, { expectedAttachType: 36 /* BPF_SK_LOOKUP */ });

const perfOutput = (type: ProgType, expectedAttachType?: number): Program => {
  const p = assemble(`.map events perf_event_array key=4 value=4 entries=1
*(u64 *)(r10 -8) = 0
r4 = r10
r4 += -8
r2 = map[events]
r3 = 0xffffffff ll
r5 = 8
call bpf_perf_event_output
r0 = 1
exit`);
  return prog(`perf_event_output_${type}`, type, p.insns, { maps: p.maps, ...(expectedAttachType !== undefined ? { expectedAttachType } : {}) });
};

const CASES: [string, Program, Expected][] = [
  ['a kfunc call with id 0 in dead code is accepted', kfuncDead, ['accept']],
  ['a reached kfunc call with id 0 is refused after exploration', kfuncReached, ['reject', 'invalid kernel function call not eliminated in verifier pass']],
  ['a variable-offset write of zero keeps a spilled scalar 0', stZero, ['accept']],
  ['cgroup_device may call bpf_perf_event_output', perfOutput('cgroup_device', 6 /* BPF_CGROUP_DEVICE */), ['accept']],
  ['cgroup_sysctl may call bpf_perf_event_output', perfOutput('cgroup_sysctl', 18 /* BPF_CGROUP_SYSCTL */), ['accept']],
  ['cgroup_sockopt may call bpf_perf_event_output', perfOutput('cgroup_sockopt', 21 /* BPF_CGROUP_GETSOCKOPT */), ['accept']],
];

describe('test_verifier mechanisms', () => {
  for (const [name, p, expected] of CASES) it(name, () => expectVerdict(p, expected));
});

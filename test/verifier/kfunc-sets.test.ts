/**
 * Which program types may call a kfunc (btf_kfunc_id_set_contains): the kfunc is first looked up
 * in its program type's hook, so `call kfunc; r0 = 0; exit` tells whether the type may call it
 * ("calling kernel function X is not allowed") before its arguments are checked. bpflab's answer
 * for one kfunc of each set and the common set, on program types loadable without an attach
 * target, compared with the running kernel's.
 */
import { existsSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import type { Program, ProgType } from '../../src/isa/program.js';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { readTargetBtf, RUNNING_KERNEL_BTF } from '../../src/loader/target.js';
import { verify } from '../../src/verifier/index.js';

const haveBtf = existsSync('/sys/kernel/btf/vmlinux');
if (!haveBtf) console.log('skip kfunc sets: no /sys/kernel/btf/vmlinux');
const k = kernelAvailable();
if (!k.ok) console.log(`kfunc sets: no kernel comparison (${k.reason})`);

const TYPES: ProgType[] = ['socket_filter', 'sched_cls', 'xdp', 'cgroup_sock', 'sock_ops', 'kprobe', 'tracepoint', 'raw_tracepoint'];

/** Per kfunc, the program types of TYPES that may call it (6.18). */
const ALLOWED: Record<string, ProgType[]> = {
  // generic set: tracing, tc, xdp, cgroup (sock_ops included), struct_ops, syscall
  bpf_task_acquire: ['sched_cls', 'xdp', 'cgroup_skb', 'cgroup_sock', 'sock_ops', 'tracepoint', 'perf_event'],
  bpf_throw: ['sched_cls', 'xdp', 'cgroup_skb', 'cgroup_sock', 'sock_ops', 'tracepoint', 'perf_event'],
  // cpumask set: tracing, struct_ops, syscall
  bpf_cpumask_create: ['tracepoint', 'perf_event'],
  // fs kfuncs: LSM only; bpf_sock_destroy: iterators only
  bpf_get_task_exe_file: [],
  bpf_sock_destroy: [],
  // common set: every program
  bpf_rcu_read_lock: TYPES,
};

const NOT_ALLOWED = (name: string): string => `calling kernel function ${name} is not allowed`;

describe.skipIf(!haveBtf)('kfunc id sets per program type', () => {
  test('bpflab refuses a kfunc exactly for the program types the kernel does', () => {
    const btf = readTargetBtf(RUNNING_KERNEL_BTF);
    if (typeof btf === 'string') throw new Error(btf);
    for (const [name, allowed] of Object.entries(ALLOWED)) {
      const fn = btf.find(name, 'func')[0];
      if (!fn) { console.log(`kfunc sets: ${name} not in this kernel`); continue; }
      for (const type of TYPES) {
        const p: Program = {
          name: 'kfunc_set', section: '', type, maps: [], license: 'GPL',
          insns: [{ code: 0x85, dst: 0, src: 2, off: 0, imm: fn.id }, { code: 0xb7, dst: 0, src: 0, off: 0, imm: 0 }, { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }],
        };
        const refused = verify(p).error?.message === NOT_ALLOWED(name);
        expect(refused, `${name} from ${type}`).toBe(!allowed.includes(type));
        if (!k.ok) continue;
        const kr = progLoad(p, { logLevel: 1 });
        if (kr.fd !== null) closeFd(kr.fd);
        expect(kr.log.includes(NOT_ALLOWED(name)), `${name} from ${type}: kernel ${kr.log.slice(-200)}`).toBe(refused);
      }
    }
  });
});

/**
 * kfunc arguments as 6.18's check_kfunc_args sorts them (test/fixtures/btf-typed/kfunc_args.c:
 * the cpumask family, bpf_cpumask_populate's `__sz` buffer, the crypto context kfuncs), helper
 * arguments beyond plain memory (helper_args.c: per-CPU ksyms through bpf_this_cpu_ptr /
 * bpf_per_cpu_ptr, bpf_find_vma's callback, trusted kernel objects as memory), and the
 * cgroup_sockopt context (struct bpf_sockopt, cg_sockopt_is_valid_access) in bpflab assembly.
 * Each verdict and message is 6.18's; where the running kernel can load the program, it agrees
 * (per-CPU variables need kallsyms of data symbols, which this kernel may not have).
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { assemble } from '../../src/isa/asm/index.js';
import type { Program } from '../../src/isa/program.js';
import { loadFile } from '../../src/loader/index.js';
import { BPF_CGROUP_GETSOCKOPT, BPF_CGROUP_SETSOCKOPT } from '../../src/runtime/context/index.js';
import { verify } from '../../src/verifier/index.js';

const haveBtf = existsSync('/sys/kernel/btf/vmlinux');
if (!haveBtf) console.log('skip kfunc argument programs: no /sys/kernel/btf/vmlinux');
const k = kernelAvailable();
if (!k.ok) console.log(`kfunc arguments and bpf_sockopt: no kernel comparison (${k.reason})`);

/** The verdict, bpflab's message, and the kernel's where its wording differs. */
type Expect = ['accept'] | ['reject', string] | ['reject', string, string];

/** Verifies `p`, checks the expected verdict and message (or its start), and the running kernel's verdict. */
function check(p: Program, [verdict, message, kernelMessage]: Expect, withKernel = true): void {
  const r = verify(p);
  expect(r.verdict, `${p.name}: ${r.error?.message}`).toBe(verdict);
  if (message) expect(r.error!.message.startsWith(message), `${p.name}: ${r.error!.message}`).toBe(true);
  if (!k.ok || !withKernel) return;
  const kr = progLoad(p, { logLevel: 1 });
  if (kr.fd !== null) closeFd(kr.fd);
  if (/failed to find the address for kernel symbol/.test(kr.log)) return;
  expect(kr.verdict, `${p.name}: kernel ${kr.log.slice(-300)}`).toBe(verdict);
  if (message) expect(kr.log, p.name).toContain(kernelMessage ?? message);
}

const KFUNC_ARGS: Record<string, Expect> = {
  cpumask_family: ['accept'],
  // KF_RCU kfuncs take no NULL (check_kfunc_args, before the argument's kind is known)
  cpumask_null: ['reject', 'Possibly NULL pointer passed to trusted arg0'],
  // struct cpumask is a struct of scalars: from the stack it is memory of its size
  cpumask_on_stack: ['reject', 'invalid read from stack R1 off=-16 size=32'],
  // bpf_cpumask_populate(mask, src, src__sz): a buffer and its size
  cpumask_populate_past_buffer: ['reject', 'invalid read from stack R2 off=-16 size=24'],
  crypto_create_release: ['accept'],
  crypto_acquired_leak: ['reject', 'Unreleased reference id=4 alloc_insn=69'],
  crypto_params_short: ['reject', 'invalid read from stack R1 off=-408 size=424'],
};

describe.skipIf(!haveBtf)('kfunc arguments', () => {
  test('cpumask and crypto kfuncs: verdicts and messages; the kernel agrees', async () => {
    const file = new URL('../fixtures/btf-typed/kfunc_args.o', import.meta.url);
    const programs = await loadFile('kfunc_args.o', new Uint8Array(readFileSync(file)));
    expect(programs.map((p) => p.name).sort()).toEqual(Object.keys(KFUNC_ARGS).sort());
    for (const p of programs) check(p, KFUNC_ARGS[p.name]!);
  });

  test('a memory/size pair the access check refuses is named after the message (check_kfunc_args)', async () => {
    const file = new URL('../fixtures/btf-typed/kfunc_args.o', import.meta.url);
    const p = (await loadFile('kfunc_args.o', new Uint8Array(readFileSync(file)))).find((x) => x.name === 'cpumask_populate_past_buffer')!;
    const tail = (log: string): string[] => log.split('\n').filter((l) => l && !/^(processed|stack depth|verification time)/.test(l)).slice(-2);
    const ours = tail(verify(p, { log: true }).log!);
    expect(ours).toEqual(['invalid read from stack R2 off=-16 size=24', 'arg#1 arg#2 memory, len pair leads to invalid memory access']);
    if (!k.ok) return;
    const kr = progLoad(p, { logLevel: 1 });
    if (kr.fd !== null) closeFd(kr.fd);
    expect(tail(kr.log)).toEqual(ours);
  });
});

const HELPER_ARGS: Record<string, Expect> = {
  this_cpu_struct: ['accept'],
  per_cpu_int: ['accept'],
  per_cpu_unchecked: ['reject', "R0 invalid mem access 'rdonly_mem_or_null'"],
  this_cpu_write: ['reject', 'R0 cannot write into rdonly_mem'],
  this_cpu_scalar: ['reject', 'R1 type=scalar expected=percpu_ptr_, percpu_rcu_ptr_, percpu_trusted_ptr_'],
  find_vma_ctx: ['accept'],
  find_vma_bad_ret: ['reject', 'At callback return the register R0 has smin=2 smax=2 should have been in [0, 1]'],
  find_vma_write: ['reject', 'only read is supported'],
  comm_compare: ['accept'],
  comm_past_member: ['reject', 'access beyond the end of member comm'],
  comm_written: ['reject', 'bpf_probe_read_kernel() may write into memory pointed by R1 type=trusted_ptr_'],
};

describe.skipIf(!haveBtf)('helper arguments', () => {
  test('per-CPU variables, bpf_find_vma, kernel objects as memory: verdicts and messages; the kernel agrees', async () => {
    const bytes = new Uint8Array(readFileSync(new URL('../fixtures/btf-typed/helper_args.o', import.meta.url)));
    // Against a copy of the kernel BTF (a target kernel, not the running one) no kallsyms is
    // asked: the per-CPU modelling itself is checked whatever symbols this kernel lists.
    const scratch = mkdtempSync(join(tmpdir(), 'bpflab-btf-'));
    onTestFinished(() => rmSync(scratch, { recursive: true, force: true }));
    const copy = join(scratch, 'vmlinux');
    copyFileSync('/sys/kernel/btf/vmlinux', copy);
    const offline = await loadFile('helper_args.o', bytes, { btf: copy });
    expect(offline.map((p) => p.name).sort()).toEqual(Object.keys(HELPER_ARGS).sort());
    for (const p of offline) check(p, HELPER_ARGS[p.name]!, false);
    // Against the running kernel: its verdict, whose kallsyms may lack the per-CPU variables
    // ("ldimm64 failed to find the address for kernel symbol"), which bpflab then says too.
    if (!k.ok) return;
    for (const p of await loadFile('helper_args.o', bytes)) {
      const r = verify(p);
      const kr = progLoad(p, { logLevel: 1 });
      if (kr.fd !== null) closeFd(kr.fd);
      expect(r.verdict, `${p.name}: bpflab ${r.error?.message}, kernel ${kr.log.slice(-300)}`).toBe(kr.verdict);
      if (r.error && /failed to find the address/.test(kr.log)) expect(r.error.message).toMatch(/failed to find the address/);
    }
  });
});

const SOCKOPT: Record<string, [number, string, Expect]> = {
  // every readable field, the option buffer as a packet (read and written), the socket, and the writable fields
  get_all: [BPF_CGROUP_GETSOCKOPT, `
    r2 = *(u64 *)(r1 +8)
    r3 = *(u64 *)(r1 +16)
    r6 = *(u64 *)(r1 +0)
    r7 = *(u32 *)(r6 +4)
    r4 = r2
    r4 += 1
    if r4 > r3 goto out
    r5 = *(u8 *)(r2 +0)
    *(u8 *)(r2 +0) = 1
  out:
    r0 = *(u32 *)(r1 +36)
    r0 = *(u32 *)(r1 +24)
    r0 = *(u32 *)(r1 +28)
    *(u32 *)(r1 +36) = 0
    *(u32 *)(r1 +32) = 0
    r0 = 1
    exit`, ['accept']],
  get_narrow_sk: [BPF_CGROUP_GETSOCKOPT, 'r1 = *(u32 *)(r1 +4)\nr0 = 1\nexit', ['reject', 'invalid bpf_context access off=4 size=4']],
  get_narrow_optval_end: [BPF_CGROUP_GETSOCKOPT, 'r1 = *(u32 *)(r1 +20)\nr0 = 1\nexit', ['reject', 'invalid bpf_context access off=20 size=4']],
  get_narrow_level: [BPF_CGROUP_GETSOCKOPT, 'r1 = *(u16 *)(r1 +24)\nr0 = 1\nexit', ['reject', 'invalid bpf_context access off=24 size=2']],
  get_write_level: [BPF_CGROUP_GETSOCKOPT, '*(u32 *)(r1 +24) = 0\nr0 = 1\nexit', ['reject', 'invalid bpf_context access off=24 size=4']],
  get_write_sk: [BPF_CGROUP_GETSOCKOPT, '*(u64 *)(r1 +0) = 0\nr0 = 1\nexit', ['reject', 'invalid bpf_context access off=0 size=8']],
  get_past_end: [BPF_CGROUP_GETSOCKOPT, 'r0 = *(u32 *)(r1 +40)\nr0 = 1\nexit', ['reject', 'invalid bpf_context access off=40 size=4']],
  set_write_level_optname: [BPF_CGROUP_SETSOCKOPT, '*(u32 *)(r1 +24) = 0\n*(u32 *)(r1 +28) = 1\n*(u32 *)(r1 +32) = 4\nr0 = 1\nexit', ['accept']],
  set_read_retval: [BPF_CGROUP_SETSOCKOPT, 'r0 = *(u32 *)(r1 +36)\nr0 = 1\nexit', ['reject', 'invalid bpf_context access off=36 size=4']],
  set_write_retval: [BPF_CGROUP_SETSOCKOPT, '*(u32 *)(r1 +36) = 0\nr0 = 1\nexit', ['reject', 'invalid bpf_context access off=36 size=4']],
  get_unchecked_optval: [BPF_CGROUP_GETSOCKOPT, 'r2 = *(u64 *)(r1 +8)\nr0 = *(u8 *)(r2 +0)\nr0 = 1\nexit', ['reject', 'invalid access to packet, off=0 size=1, R2(id=0,off=0,r=0)']],
};

describe('cgroup_sockopt context (struct bpf_sockopt)', () => {
  test('loads, narrow loads, writes per hook; the kernel agrees', () => {
    for (const [name, [attach, text, want]] of Object.entries(SOCKOPT)) {
      const a = assemble(text);
      check({ name, section: '', type: 'cgroup_sockopt', insns: a.insns, maps: a.maps, license: 'GPL', expectedAttachType: attach }, want);
    }
  });
});

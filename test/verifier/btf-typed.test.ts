/**
 * BTF-typed programs written for bpflab (test/fixtures/btf-typed/*.c, libbpf 1.x style, built
 * against a vmlinux.h of the running kernel; build.sh rebuilds them when clang-19 is present):
 * tp_btf / fentry / fexit / lsm / iter contexts typed from the attach target's prototype,
 * kernel structs walked field by field, and one program per rule the kernel enforces on them.
 * Each verdict is the expected one, and the running kernel's where it can load the type
 * (fentry/fexit/lsm need trampolines this machine lacks: EPERM, no verdict).
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { loadFile } from '../../src/loader/index.js';
import { kallsymsHas } from '../../src/loader/kallsyms.js';
import { verify } from '../../src/verifier/index.js';
import { runProgram } from '../../src/vm/index.js';

const dir = new URL('../fixtures/btf-typed/', import.meta.url);
const haveBtf = existsSync('/sys/kernel/btf/vmlinux');
if (!haveBtf) console.log('skip BTF-typed programs: no /sys/kernel/btf/vmlinux');
const k = kernelAvailable();
if (!k.ok) console.log(`BTF-typed programs: no kernel comparison (${k.reason})`);

/** program -> [expected verdict, error kind or message part]. */
const EXPECT: Record<string, Record<string, ['accept'] | ['reject', string]>> = {
  'execsnoop.o': { exec_btf: ['accept'], exec_tp: ['accept'] },
  'unlink_fentry.o': { unlink_entry: ['accept'], unlink_exit: ['accept'] },
  'lsm_iter.o': { deny_nothing: ['accept'], dump_task: ['accept'] },
  'kernel_objects.o': { open_path: ['accept'], whoami: ['accept'], masks: ['accept'], kprobe_unlink: ['accept'], kretprobe_unlink: ['accept'], raw_exec: ['accept'], count_tasks: ['accept'], parent_index: ['reject', 'invalid access to map value, value_size=128 off=128 size=8'] },
  'task_kfuncs.o': {
    acquire_release: ['accept'],
    from_pid_rcu: ['accept'],
    leak: ['reject', 'Unreleased reference'],
    release_unchecked: ['reject', 'Possibly NULL pointer passed to trusted arg0'],
    acquire_walked: ['reject', 'R1 must be a rcu pointer'],
  },
  'casts.o': {
    kern_skb_mark: ['accept'],
    kern_xdp_len: ['accept'],
    cast_not_ctx: ['reject', 'arg#0 expected pointer to ctx, but got fp'],
    rdonly_sock: ['accept'],
    rdonly_write: ['reject', 'only read is supported'],
    // bpf_rdonly_cast to void: untrusted read-only memory, probe loads without bounds or offsets
    rdonly_void_read: ['accept'],
    rdonly_void_write: ['reject', 'R0 cannot write into rdonly_untrusted_mem'],
    rdonly_void_walk: ['accept'],
    rdonly_void_commuted: ['accept'],
    rdonly_mixed_load: ['accept'],
    rdonly_union: ['accept'],
  },
  'callbacks.o': {
    loop_sum: ['accept'],
    map_sum: ['accept'],
    loop_bad_return: ['reject', 'At callback return the register R0 has smin=2 smax=2 should have been in [0, 1]'],
    loop_write_past_ctx: ['reject', 'invalid write to stack R2 off=0 size=8'],
  },
  'narrow_ctx.o': {
    task_file_fd: ['accept'],
    fd_mid_slot: ['reject', "func 'bpf_iter_task_file' offset 20 is not multiple of 8"],
    file_ptr_narrow: ['reject', "func 'bpf_iter_task_file' size 4 must be 8"],
    switch_preempt_byte: ['accept'],
  },
  'btf_rejects.o': {
    store_to_task: ['reject', 'only read is supported'],
    past_last_arg: ['reject', "func 'sched_process_exec' doesn't have 6-th argument"],
    past_struct_end: ['reject', 'access beyond struct task_struct'],
    unchecked_iter_task: ['reject', "R1 invalid mem access 'trusted_ptr_or_null_'"],
    variable_offset: ['reject', 'is ptr_task_struct invalid variable offset'],
  },
};

describe.skipIf(!haveBtf)('BTF-typed programs', () => {
  for (const [file, progs] of Object.entries(EXPECT)) {
    test(file, async () => {
      const programs = await loadFile(file, new Uint8Array(readFileSync(new URL(file, dir))));
      expect(programs.map((p) => p.name).sort()).toEqual(Object.keys(progs).sort());
      for (const p of programs) {
        const [verdict, what] = progs[p.name]!;
        const r = verify(p);
        expect(r.verdict, `${p.name}: ${r.error?.message}`).toBe(verdict);
        if (what) expect(r.error!.message).toContain(what);
        if (!k.ok) continue;
        const kr = progLoad(p, { logLevel: 1 });
        if (kr.fd !== null) closeFd(kr.fd);
        if (kr.verdict === 'reject' && kr.errno === 'EPERM' && kr.log === '') continue; // no trampolines here
        expect(kr.verdict, `${p.name}: kernel ${kr.log.slice(-300)}`).toBe(verdict);
      }
    });
  }
});

describe('callbacks run on the VM', () => {
  test('bpf_loop sums the indices below the limit; for_each_map_elem visits every element', async () => {
    const programs = await loadFile('callbacks.o', new Uint8Array(readFileSync(new URL('callbacks.o', dir))));
    const pkt = new Uint8Array(16);
    expect(runProgram(programs.find((p) => p.name === 'loop_sum')!, { packet: pkt }).r0).toBe(45n);
    expect(runProgram(programs.find((p) => p.name === 'map_sum')!, { packet: pkt }).r0).toBe(28n);
  });
});

describe('bpf_rdonly_cast on the VM', () => {
  test('loads through a cast NULL are probe loads: they read 0, as BPF_PROG_TEST_RUN returns', async () => {
    const programs = await loadFile('casts.o', new Uint8Array(readFileSync(new URL('casts.o', dir))));
    const pkt = new Uint8Array(64);
    expect(runProgram(programs.find((p) => p.name === 'rdonly_void_read')!, { packet: pkt }).r0).toBe(0n);
    expect(runProgram(programs.find((p) => p.name === 'rdonly_void_commuted')!, { packet: pkt }).r0).toBe(1n);
  });
});

describe.skipIf(!haveBtf)('per-CPU kernel variables (.ksyms in .data..percpu)', () => {
  const file = 'percpu_ksym.o';
  const bytes = () => new Uint8Array(readFileSync(new URL(file, dir)));
  test('bpf_per_cpu_ptr / bpf_this_cpu_ptr give the variable\'s memory or struct; the kernel finds it in kallsyms', async () => {
    // A target BTF file (not the running kernel): no kallsyms to ask, the per-CPU modelling alone.
    const scratch = mkdtempSync(join(tmpdir(), 'bpflab-btf-'));
    onTestFinished(() => rmSync(scratch, { recursive: true, force: true }));
    const copy = join(scratch, 'vmlinux');
    copyFileSync('/sys/kernel/btf/vmlinux', copy);
    const offline = await loadFile(file, bytes(), { btf: copy });
    const want: Record<string, ['accept'] | ['reject', string]> = {
      rq_running: ['accept'],
      rq_unchecked: ['reject', "R0 invalid mem access 'ptr_or_null_'"],
      active_write: ['reject', 'R0 cannot write into rdonly_mem'],
      percpu_deref: ['reject', 'R1 is ptr_rq access percpu memory: off=4'],
    };
    for (const p of offline) {
      const [verdict, what] = want[p.name]!;
      const r = verify(p);
      expect(r.verdict, `${p.name}: ${r.error?.message}`).toBe(verdict);
      if (what) expect(r.error!.message).toContain(what);
    }
    // The running kernel: a variable its kallsyms lacks (no CONFIG_KALLSYMS_ALL) is refused up front.
    for (const p of await loadFile(file, bytes())) {
      const r = verify(p);
      const sym = p.name === 'active_write' ? 'bpf_prog_active' : 'runqueues';
      if (!kallsymsHas(sym)) expect(r.error?.message).toBe(`ldimm64 failed to find the address for kernel symbol '${sym}'.`);
      else expect(r.verdict).toBe(want[p.name]![0]);
      if (!k.ok) continue;
      const kr = progLoad(p, { logLevel: 1 });
      if (kr.fd !== null) closeFd(kr.fd);
      expect(kr.verdict, `${p.name}: kernel ${kr.log.slice(-300)}`).toBe(r.verdict);
    }
  });
});

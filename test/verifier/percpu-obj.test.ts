/**
 * Per-CPU objects the program allocates (test/fixtures/btf-typed/percpu_obj.c; build.sh rebuilds
 * it when clang-19 is present): bpf_percpu_obj_new objects stashed in a __percpu_kptr field with
 * bpf_kptr_xchg, reached through bpf_this_cpu_ptr / bpf_per_cpu_ptr, dropped with
 * bpf_percpu_obj_drop, and one program per rule the kernel enforces; in sleepable (syscall)
 * programs, kptrs to program types loaded outside an RCU section are untrusted pointers. Each verdict and message is
 * the expected one, and the running kernel's; the accepted ones also take as many instructions as
 * the kernel's (one CPU's copy is no trusted pointer: its NULL check has two branches).
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { loadFile } from '../../src/loader/index.js';
import { expectProcessedLikeKernel, expectVerdict, kernelCompared, type Expected } from './expect-verdicts.js';

const file = new URL('../fixtures/btf-typed/percpu_obj.o', import.meta.url);
const haveBtf = existsSync('/sys/kernel/btf/vmlinux');
if (!haveBtf) console.log('skip per-CPU object programs: no /sys/kernel/btf/vmlinux (the kfuncs are typed by it)');
kernelCompared('per-CPU object programs');

const EXPECT: Record<string, Expected> = {
  stash_and_write: ['accept'],
  load_and_read: ['accept'],
  take_out: ['accept'],
  new_and_drop: ['reject', 'R1 type=percpu_ptr_ expected=percpu_ptr_, percpu_rcu_ptr_, percpu_trusted_ptr_'],
  store_to_kptr: ['reject', 'store to referenced kptr disallowed'],
  xchg_wrong_type: ['reject', 'invalid kptr access, R2 type=percpu_ptr_val2 expected=ptr_val'],
  leak: ['reject', 'Unreleased reference id=2 alloc_insn=3'],
  drop_with_obj_drop: ['reject', 'arg#0 expected for bpf_percpu_obj_drop_impl()'],
  obj_with_percpu_drop: ['reject', 'arg#0 expected for bpf_obj_drop_impl()'],
  new_with_ptr: ['reject', 'bpf_percpu_obj_new type ID argument must be of a struct of scalars'],
  new_with_lock: ['reject', 'bpf_percpu_obj_new type ID argument must not contain special fields'],
  new_too_big: ['reject', 'bpf_percpu_obj_new type size (600) is greater than 512'],
  deref_percpu: ['reject', 'R0 is ptr_val access percpu memory: off=0'],
  use_after_drop: ['reject', 'R1 type=scalar expected=percpu_ptr_, percpu_rcu_ptr_, percpu_trusted_ptr_'],
  sleepable_stash: ['accept'],
  sleepable_read_untrusted: ['accept'],
  sleepable_this_cpu_untrusted: ['reject', 'R1 type=untrusted_ptr_ expected=percpu_ptr_, percpu_rcu_ptr_, percpu_trusted_ptr_'],
  sleepable_write_untrusted: ['reject', 'only read is supported'],
  sleepable_in_rcu: ['accept'],
};

describe.skipIf(!haveBtf)('per-CPU allocated objects', () => {
  test('percpu_obj.o: every program as the kernel judges it', async () => {
    const programs = await loadFile('percpu_obj.o', new Uint8Array(readFileSync(file)));
    expect(programs.map((p) => p.name).sort()).toEqual(Object.keys(EXPECT).sort());
    for (const p of programs) {
      expectVerdict(p, EXPECT[p.name]!);
      if (EXPECT[p.name]![0] === 'accept') expectProcessedLikeKernel(p);
    }
  });
});

/**
 * BPF workqueues (test/fixtures/btf-typed/wq.c; build.sh rebuilds it when clang-19 is present):
 * bpf_wq_init / bpf_wq_set_callback_impl / bpf_wq_start on a struct bpf_wq in a map value, the
 * callback verified as an async, sleepable path, and the argument rules of process_wq_func and
 * KF_ARG_PTR_TO_MAP, and a workqueue in a map type that may not hold one (map_check_btf refuses
 * the map's BTF, libbpf creates it without). Each verdict and message is the expected one, and the running kernel's.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { loadFile } from '../../src/loader/index.js';
import { expectVerdict, kernelCompared, type Expected } from './expect-verdicts.js';

const file = new URL('../fixtures/btf-typed/wq.o', import.meta.url);
const haveBtf = existsSync('/sys/kernel/btf/vmlinux');
if (!haveBtf) console.log('skip workqueue programs: no /sys/kernel/btf/vmlinux (the kfuncs are typed by it)');
kernelCompared('workqueue programs');

const EXPECT: Record<string, Expected> = {
  wq_init_start: ['accept'],
  wq_start: ['reject', 'sleepable callback in a program that is not sleepable'],
  wq_sleepable_cb: ['reject', 'sleepable callback in a program that is not sleepable'],
  sleep_in_prog: ['reject', 'program must be sleepable to call sleepable kfunc bpf_copy_from_user_str'],
  sleep_in_timer_cb: ['reject', 'program must be sleepable to call sleepable kfunc bpf_copy_from_user_str'],
  wq_init_nomap: ['reject', "pointer in R2 isn't map pointer"],
  wq_init_other_map: ['reject', "workqueue pointer in R1 map_uid=0 doesn't match map pointer in R2 map_uid=0"],
  wq_on_stack: ['reject', "arg#0 doesn't point to a map value"],
  wq_misaligned: ['reject', "off 0 doesn't point to 'struct bpf_wq' that is at 8"],
  wq_in_syscall: ['accept'],
  wq_bad_ret_cb: ['reject', 'At async callback return the register R0 has smin=1 smax=1 should have been in [0, 0]'],
  wq_count_cb: ['accept'],
  wq_in_percpu_array: ['reject', "map 'pcpu' has to have BTF in order to use bpf_wq"],
};

describe.skipIf(!haveBtf)('BPF workqueues', () => {
  test('wq.o: every program as the kernel judges it', async () => {
    const programs = await loadFile('wq.o', new Uint8Array(readFileSync(file)));
    expect(programs.map((p) => p.name).sort()).toEqual(Object.keys(EXPECT).sort());
    for (const p of programs) expectVerdict(p, EXPECT[p.name]!);
  });
});

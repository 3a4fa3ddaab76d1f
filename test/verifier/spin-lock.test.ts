/**
 * Lock-like sections (src/verifier/locks.ts): bpf_spin_lock in map values, bpf_rcu_read_lock and
 * bpf_preempt_disable sections, bpf_timer and bpf_wq arguments and callbacks, and the map-value fields no
 * access may touch. The programs are
 * test/fixtures/btf-typed/{spin_lock,res_spin_lock,timers,workqueues,task_work,rcu_sections}.c (objects committed); each verdict and message
 * is the one the running kernel gives (compared live where the kernel is available).
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { loadFile } from '../../src/loader/index.js';
import { mapRecord } from '../../src/verifier/map-record.js';
import { verify } from '../../src/verifier/index.js';

const dir = new URL('../fixtures/btf-typed/', import.meta.url);
const k = kernelAvailable();
if (!k.ok) console.log(`spin locks: no kernel comparison (${k.reason})`);
const haveBtf = existsSync('/sys/kernel/btf/vmlinux');
if (!haveBtf) console.log('skip RCU sections: no /sys/kernel/btf/vmlinux');

type Expect = ['accept'] | ['reject', string];
const LOCK = 'function calls are not allowed while holding a lock';
const SPIN: Record<string, Expect> = {
  ok: ['accept'],
  ok_hash: ['accept'],
  ok_global: ['accept'],
  ok_subprog: ['accept'],
  same_ptr_copy: ['accept'],
  double_lock: ['reject', LOCK],
  call_inside: ['reject', LOCK],
  unlock_nolock: ['reject', 'bpf_spin_unlock without taking a lock'],
  unlock_other: ['reject', 'bpf_spin_unlock of different lock'],
  unlock_other_map: ['reject', 'bpf_spin_unlock of different lock'],
  exit_inside: ['reject', 'BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region'],
  lock_on_branch: ['reject', 'BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region'],
  ld_abs_inside: ['reject', 'BPF_LD_[ABS|IND] cannot be used inside bpf_spin_lock-ed region'],
  wrong_off: ['reject', "off 16 doesn't point to 'struct bpf_spin_lock' that is at 8"],
  no_lock_map: ['reject', "map 'nolock' has no valid bpf_spin_lock"],
  var_off: ['reject', "R1 doesn't have constant offset. bpf_spin_lock has to be at the constant offset"],
  load_lock: ['reject', 'bpf_spin_lock cannot be accessed directly by load/store'],
  store_lock: ['reject', 'bpf_spin_lock cannot be accessed directly by load/store'],
  helper_covers_lock: ['reject', 'bpf_spin_lock cannot be accessed directly by load/store'],
};
const TIMERS: Record<string, Expect> = {
  timer_init_ok: ['accept'],
  timer_cb_ok: ['accept'],
  lock_in_hash_value_via_stack: ['accept'],
  timer_wrong_off: ['reject', "off 0 doesn't point to 'struct bpf_timer' that is at 8"],
  timer_no_timer: ['reject', "map 'plain' has no valid bpf_timer"],
  timer_map_mismatch: ['reject', "timer pointer in R1 map_uid=0 doesn't match map pointer in R2 map_uid=0"],
  timer_load: ['reject', 'bpf_timer cannot be accessed directly by load/store'],
  timer_cb_bad_ret: ['reject', 'At async callback return the register R0 has smin=1 smax=1 should have been in [0, 0]'],
  timer_cb_oob: ['reject', 'invalid access to map value, value_size=24 off=24 size=8'],
  global_in_lock: ['reject', 'global function calls are not allowed while holding a lock,'],
};
const RCU: Record<string, Expect> = {
  rcu_ok: ['accept'],
  rcu_untrusted_after_unlock: ['reject', 'R1 must be a rcu pointer'],
  rcu_no_section: ['reject', 'R1 must be a rcu pointer'],
  rcu_miss_lock: ['reject', 'unmatched rcu read unlock (kernel function bpf_rcu_read_unlock)'],
  rcu_miss_unlock: ['reject', 'BPF_EXIT instruction in main prog cannot be used inside bpf_rcu_read_lock-ed region'],
  rcu_miss_unlock_nonsleep: ['reject', 'BPF_EXIT instruction in main prog cannot be used inside bpf_rcu_read_lock-ed region'],
  rcu_nested: ['reject', 'nested rcu read lock (kernel function bpf_rcu_read_lock)'],
  rcu_nested_missing: ['reject', 'nested rcu read lock (kernel function bpf_rcu_read_lock)'],
  rcu_sleepable_kfunc: ['reject', 'kernel func bpf_lookup_user_key is sleepable within rcu_read_lock region'],
  rcu_sleepable_helper: ['reject', 'sleepable helper bpf_copy_from_user#148 in rcu_read_lock region'],
  sleepable_helper_ok: ['accept'],
  sleepable_helper_nonsleep: ['reject', 'helper call might sleep in a non-sleepable prog'],
  preempt_miss: ['reject', 'BPF_EXIT instruction in main prog cannot be used inside bpf_preempt_disable-ed region'],
  preempt_unmatched: ['reject', 'unmatched attempt to enable preemption (kernel function bpf_preempt_enable)'],
  preempt_nested_ok: ['accept'],
  // 6.18 refuses only global functions that may sleep inside these sections.
  preempt_global_call: ['accept'],
  rcu_global_call: ['accept'],
  preempt_sleepable_kfunc: ['reject', 'kernel func bpf_lookup_user_key is sleepable within non-preemptible region'],
};

async function check(file: string, progs: Record<string, Expect>): Promise<void> {
  const programs = await loadFile(file, new Uint8Array(readFileSync(new URL(file, dir))));
  expect(programs.map((p) => p.name).sort()).toEqual(Object.keys(progs).sort());
  for (const p of programs) {
    const [verdict, what] = progs[p.name]!;
    const r = verify(p);
    expect(r.verdict, `${p.name}: ${r.error?.message}`).toBe(verdict);
    if (what) expect(r.error!.message, p.name).toContain(what);
    if (!k.ok) continue;
    const kr = progLoad(p, { logLevel: 1 });
    if (kr.fd !== null) closeFd(kr.fd);
    expect(kr.verdict, `${p.name}: kernel ${kr.log.slice(-300)}`).toBe(verdict);
    if (what) expect(kr.log, p.name).toContain(what);
  }
}

describe('bpf_spin_lock', () => {
  test('spin_lock.o: locks in map values and global data, each misuse refused with the kernel message', () => check('spin_lock.o', SPIN));

  test('the map record places the lock where btf_parse_fields does', async () => {
    const [p] = await loadFile('spin_lock.o', new Uint8Array(readFileSync(new URL('spin_lock.o', dir))));
    const rec = (name: string) => mapRecord(p!, p!.maps.find((m) => m.name === name)!)?.fields;
    expect(rec('m')).toEqual([{ type: 'spin_lock', off: 8, size: 4 }]);
    expect(rec('nolock')).toEqual([]);
    expect(rec('.data.lock')).toEqual([{ type: 'spin_lock', off: 0, size: 4 }]);
  });
});

describe('bpf_timer', () => {
  test('timers.o: timer arguments, asynchronous callbacks, global calls under a lock', () => check('timers.o', TIMERS));
});

/** workqueues.c: the bpf_wq kfuncs (src/verifier/async-work.ts). */
const WQ: Record<string, Expect> = {
  wq_ok: ['accept'],
  wq_cb_sleeps: ['accept'],
  wq_init_from_tc: ['accept'],
  wq_not_sleepable: ['reject', 'sleepable callback in a program that is not sleepable'],
  wq_wrong_off: ['reject', "off 0 doesn't point to 'struct bpf_wq' that is at 8"],
  wq_map_mismatch: ['reject', "workqueue pointer in R1 map_uid=0 doesn't match map pointer in R2 map_uid=0"],
  wq_on_stack: ['reject', "arg#0 doesn't point to a map value"],
  wq_cb_ret1: ['reject', 'At async callback return the register R0 has smin=1 smax=1 should have been in [0, 0]'],
  wq_tracing: ['reject', 'tracing progs cannot use bpf_wq yet'],
};

/** task_work.c: bpf_task_work (src/verifier/async-work.ts). */
const TASK_WORK: Record<string, Expect> = {
  tw_signal: ['accept'],
  tw_resume_ret1: ['accept'],
  tw_not_sleepable: ['reject', 'sleepable callback in a program that is not sleepable'],
  tw_other_map: ['reject', "bpf_task_work pointer in R2 map_uid=0 doesn't match map pointer in R3 map_uid=0"],
  tw_wrong_off: ['reject', "off 0 doesn't point to 'struct bpf_task_work' that is at 8"],
  tw_on_stack: ['reject', "arg#1 doesn't point to a map value"],
  tw_cb_u64: ['reject', 'At async callback return the register R0 has unknown scalar value should have been in [-2147483648, 2147483647]'],
};

describe.skipIf(!haveBtf)('bpf_wq and bpf_task_work', () => {
  test('workqueues.o: workqueue arguments, sleepable asynchronous callbacks', () => check('workqueues.o', WQ));
  test('task_work.o: task work arguments, sleepable callbacks returning any s32', () => check('task_work.o', TASK_WORK));
});

/** res_spin_lock.c: resilient spin locks (bpf_res_spin_lock / bpf_res_spin_unlock). */
const RES: Record<string, Expect> = {
  res_ok: ['accept'],
  res_nested: ['accept'],
  res_errno: ['accept'],
  res_unchecked: ['reject', 'bpf_res_spin_unlock without taking a lock'],
  res_out_of_order: ['reject', 'bpf_res_spin_unlock cannot be out of order'],
  res_twice: ['reject', 'Acquiring the same lock again, AA deadlock detected'],
  res_exit_locked: ['reject', 'BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region'],
  res_wrong_off: ['reject', "off 0 doesn't point to 'struct bpf_res_spin_lock' that is at 8"],
  res_call_inside: ['reject', LOCK],
  res_then_spin: ['reject', LOCK],
};

describe.skipIf(!haveBtf)('bpf_res_spin_lock', () => {
  test('res_spin_lock.o: the failed acquisition verified beside the locked path, nesting and release order', () => check('res_spin_lock.o', RES));
});

const SLEEPY_GLOBALS: Record<string, Expect> = {
  sleep_gouter: ['accept'],
  nonsleep_gsleep: ['reject', 'global functions that may sleep are not allowed in non-sleepable context,'],
  nonsleep_gouter: ['reject', 'global functions that may sleep are not allowed in non-sleepable context,'],
};

describe.skipIf(!haveBtf)('RCU and preemption sections', () => {
  test('rcu_sections.o', () => check('rcu_sections.o', RCU));
  test('global_sleep.o: global functions that may sleep', () => check('global_sleep.o', SLEEPY_GLOBALS));
});

/**
 * Which programs may walk a cgroup's tasks (check_css_task_iter_allowlist: LSM, bpf_iter and
 * sleepable programs) and which LSM hooks hand out untrusted arguments (bpf_lsm.c's
 * untrusted_lsm_hooks: task_free sees a task being torn down), from
 * test/fixtures/btf-typed/lsm_trust.c. The expectations are Linux 6.18's, as the kernel
 * selftests iters_task_failure.c/iter_css_task_for_each and
 * task_kfunc_failure.c/task_kfunc_from_lsm_task_free state them; where the running kernel can
 * load LSM and fentry programs (some machines answer EPERM) it is asked too.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { loadFile } from '../../src/loader/index.js';
import { expectVerdict, kernelCompared, type Expected } from './expect-verdicts.js';

const file = new URL('../fixtures/btf-typed/lsm_trust.o', import.meta.url);
const haveBtf = existsSync('/sys/kernel/btf/vmlinux');
if (!haveBtf) console.log('skip LSM trust programs: no /sys/kernel/btf/vmlinux');
const kernel = kernelCompared('LSM trust programs');

const EXPECT: Record<string, Expected> = {
  css_task_in_lsm: ['accept'],
  css_task_in_sleepable_fentry: ['accept'],
  css_task_in_fentry: ['reject', 'css_task_iter is only allowed in bpf_lsm, bpf_iter and sleepable progs'],
  acquire_in_task_alloc: ['accept'],
  acquire_in_task_free: ['reject', 'R1 must be a rcu pointer'],
};

describe.skipIf(!haveBtf)('css_task iterators and untrusted LSM hooks', () => {
  test('verdicts and messages (and the kernel, where it loads these program types)', async () => {
    const programs = await loadFile('lsm_trust.o', new Uint8Array(readFileSync(file)));
    expect(programs.map((p) => p.name).sort()).toEqual(Object.keys(EXPECT).sort());
    const judged = programs.filter((p) => expectVerdict(p, EXPECT[p.name]!)).length;
    if (kernel && judged === 0) console.log('LSM trust programs: the running kernel refuses LSM and fentry programs (EPERM): annotations only');
  });
});

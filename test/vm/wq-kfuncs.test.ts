/**
 * The workqueue kfuncs on the VM, the JIT (checked and trusted) and, when this host allows it,
 * the running kernel (BPF_PROG_TEST_RUN of a syscall program): bpf_wq_init /
 * bpf_wq_set_callback_impl / bpf_wq_start called in and out of order and with flags
 * (test/fixtures/kfuncs/wq.c) return what kernel/bpf/helpers.c returns. The expected values come
 * from the C source's meaning, and the kernel must agree with them too.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Jit } from '../../src/jit/index.js';
import { kernelAvailable, runInKernel } from '../../src/kernel/index.js';
import { loadFile } from '../../src/loader/index.js';
import { RUNNING_KERNEL_BTF, readTargetBtf } from '../../src/loader/target.js';
import type { Program } from '../../src/isa/program.js';
import { Vm } from '../../src/vm/index.js';

const OBJ = 'test/fixtures/kfuncs/wq.o';
const EINVAL = -22n, EBUSY = -16n;
/** out[0..10] of wq_results, in the order of its calls. */
const WANT = [EINVAL, EINVAL, EINVAL, 0n, EBUSY, EINVAL, EINVAL, 0n, EINVAL, 0n, 0n, 0n, 0n, 0n, 0n, 0n];

const btf = readTargetBtf(RUNNING_KERNEL_BTF);
const programs: Program[] = typeof btf === 'string' ? [] : await loadFile(OBJ, new Uint8Array(readFileSync(OBJ)));
const unresolved = programs.find((p) => p.loadError);
const skipWhy = typeof btf === 'string' ? `no kernel BTF (${btf})` : unresolved ? `${unresolved.name}: ${unresolved.loadError!.message}` : '';
if (skipWhy) console.log(`skip: workqueue kfunc programs need the running kernel's BTF: ${skipWhy}`);

const outOf = (b: Uint8Array | undefined): bigint[] => (b ? [...new BigInt64Array(b.slice().buffer)] : []);

describe.skipIf(skipWhy !== '')('bpf_wq_* results', () => {
  it('the VM and the JIT return what the kernel source says', () => {
    const p = programs[0]!;
    for (const exe of [new Vm(p), new Jit(p, { mode: 'checked' }), new Jit(p, { mode: 'trusted' })]) {
      const r = exe.run({});
      expect(r.error?.message ?? r.fault?.message).toBeUndefined();
      expect(r.r0).toBe(0n);
      expect(outOf(exe.maps.find((m) => m.spec.name.endsWith('.data.out'))!.lookup(new Uint8Array(4)))).toEqual(WANT);
    }
  });

  const avail = kernelAvailable();
  if (!avail.ok) console.log(`skip: the kernel side of the workqueue kfuncs needs bpf(): ${avail.reason}`);
  it.skipIf(!avail.ok)('the running kernel returns the same', () => {
    const k = runInKernel(programs[0]!, { logLevel: 0, repeat: 0 });
    expect(k.load.verdict, k.load.log).toBe('accept');
    expect(k.run!.retval).toBe(0);
    expect(outOf(k.maps.find((m) => m.name.endsWith('.data.out'))!.entries[0]![1])).toEqual(WANT);
  });
});

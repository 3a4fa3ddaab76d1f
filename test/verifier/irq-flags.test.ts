/**
 * IRQ-disabled sections as Linux 6.18 checks them (irq-flags.ts): the flag word a save writes is
 * a STACK_IRQ_FLAG slot holding a reference; restores need that slot intact, saved by the same
 * kind of kfunc, and go in reverse order; the main program may not exit inside a section. The
 * programs are test/fixtures/btf-typed/irq_flags.c; verdicts, messages and processed instruction
 * counts are compared with the running kernel when it is there.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadFile } from '../../src/loader/index.js';
import { verify } from '../../src/verifier/index.js';
import { expectProcessedLikeKernel, expectVerdict, kernelCompared } from './expect-verdicts.js';

const haveBtf = existsSync('/sys/kernel/btf/vmlinux');
if (!haveBtf) console.log('skip IRQ flag programs: no /sys/kernel/btf/vmlinux (their kfuncs resolve against it)');
kernelCompared('IRQ flags');
const path = new URL('../fixtures/btf-typed/irq_flags.o', import.meta.url);
const programs = haveBtf ? await loadFile('irq_flags.o', new Uint8Array(readFileSync(path))) : [];
const named = (name: string) => programs.find((p) => p.name === name)!;

describe.skipIf(!haveBtf)('bpf_local_irq_save / bpf_local_irq_restore', () => {
  it('nested sections closed in reverse order, one of them in subprograms', () => {
    expect(expectProcessedLikeKernel(named('nested_in_order'))).toBe(18);
    expect(verify(named('nested_in_order'), { log: true, logLevel: 2 }).log).toContain('refs=1,2');
  });
  it('exiting with IRQs disabled', () => {
    expectVerdict(named('exit_with_irqs_off'), ['reject', 'BPF_EXIT instruction in main prog cannot be used inside bpf_local_irq_save-ed region']);
  });
  it('restoring the outer flag first', () => {
    expectVerdict(named('restore_outer_first'), ['reject', 'cannot restore irq state out of order, expected id=2 acquired at insn_idx=14']);
  });
  it('a flag outside the stack, a flag saved twice, a flag overwritten before its restore', () => {
    expectVerdict(named('flag_in_map_value'), ['reject', "arg#0 doesn't point to an irq flag on stack"]);
    expectVerdict(named('flag_saved_twice'), ['reject', 'expected uninitialized irq flag as arg#0']);
    expectVerdict(named('flag_clobbered'), ['reject', 'expected an initialized irq flag as arg#0']);
  });
});

describe.skipIf(!haveBtf)('bpf_res_spin_lock_irqsave / bpf_res_spin_unlock_irqrestore', () => {
  it('the pair around a locked update, the failed lock taking no flag', () => {
    expect(expectProcessedLikeKernel(named('lock_irqsave_pair'))).toBe(28);
  });
  it('a lock-saved flag and a natively saved one are not interchangeable', () => {
    expectVerdict(named('lock_flag_restored_natively'), ['reject', 'irq flag acquired by native kfuncs cannot be restored with lock kfuncs']);
  });
});

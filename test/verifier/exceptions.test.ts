/**
 * BPF exceptions (bpf_throw and exception callbacks), from test/fixtures/btf-typed/exceptions.c:
 * the verdicts and messages of 6.18's verifier, and the running kernel's verdict and message for
 * the same programs. The ELF loader links only the functions a program calls (as libbpf 1.1), so
 * an exception callback is in func_info only when appended by hand: the last tests append one as
 * newer libbpf does and check how it is verified.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { loadFile } from '../../src/loader/index.js';
import type { Program } from '../../src/isa/program.js';
import { expectVerdict, kernelCompared, type Expected } from './expect-verdicts.js';

const file = new URL('../fixtures/btf-typed/exceptions.o', import.meta.url);
const haveBtf = existsSync('/sys/kernel/btf/vmlinux');
if (!haveBtf) console.log('skip exception programs: no /sys/kernel/btf/vmlinux');
kernelCompared('exception programs');

const EXPECT: Record<string, Expected> = {
  throw_ok: ['accept'],
  throw_cookie_in_range: ['accept'],
  throw_cookie_out_of_range: ['reject', 'At program exit the register R1 has smin=2 smax=2 should have been in [0, 1]'],
  // The cookie is checked against the program's range from a static subprogram, not from a global one.
  throw_in_static_subprog: ['reject', 'At program exit the register R1 has smin=7 smax=7 should have been in [0, 1]'],
  throw_in_global_subprog: ['accept'],
  throw_in_rcu: ['reject', 'bpf_throw cannot be used inside bpf_rcu_read_lock-ed region'],
  throw_with_reference: ['reject', 'Unreleased reference id=2 alloc_insn=13'],
  throw_in_loop_callback: ['reject', 'bpf_throw kfunc (insn 13) cannot be called from callback subprog 1'],
  throw_in_timer_callback: ['reject', 'bpf_throw kfunc (insn 16) cannot be called from callback subprog 1'],
  cb_not_in_func_info: ['reject', 'exception callback type id not found in func_info'],
  cb_called_directly: ['reject', 'insn 9 cannot call exception cb directly'],
  two_cb_tags: ['reject', 'multiple exception callback tags for main subprog'],
  cb_unknown: ['reject', "exception callback 'no_such_function' could not be found in BTF"],
  handler_donor: ['accept'],
  cb_two_args: ['reject', 'exception callback type id not found in func_info'],
  cb_bad_return: ['reject', 'exception callback type id not found in func_info'],
};

const load = async (): Promise<Program[]> => loadFile('exceptions.o', new Uint8Array(readFileSync(file)));

/** `main` with the global function `name` of `donor` appended and named in func_info (as libbpf >= 1.3 appends an exception callback). */
function withCallback(main: Program, donor: Program, name: string): Program {
  const fi = donor.funcInfo!.find((f) => f.name === name)!;
  const end = donor.funcInfo!.find((f) => f.pc > fi.pc)?.pc ?? donor.insns.length;
  const pc = main.insns.length;
  return {
    ...main,
    insns: [...main.insns, ...donor.insns.slice(fi.pc, end)],
    funcInfo: [...main.funcInfo!, { ...fi, pc }],
    btf: { ...main.btf!, funcInfo: [...main.btf!.funcInfo, { pc, typeId: fi.typeId! }], lineInfo: [] },
  };
}

describe.skipIf(!haveBtf)('BPF exceptions', () => {
  test('verdicts and messages; the kernel agrees', async () => {
    const programs = await load();
    expect(programs.map((p) => p.name).sort()).toEqual(Object.keys(EXPECT).sort());
    for (const p of programs) expectVerdict(p, EXPECT[p.name]!);
  });

  test('an appended exception callback: verified as a global function with one scalar argument and the program return range', async () => {
    const by = new Map((await load()).map((p) => [p.name, p]));
    const donor = by.get('handler_donor')!;
    expectVerdict(withCallback(by.get('cb_not_in_func_info')!, donor, 'handler'), ['accept']);
    expectVerdict(withCallback(by.get('cb_two_args')!, donor, 'handler_two_args'), ['reject', 'exception cb only supports single integer argument']);
    expectVerdict(withCallback(by.get('cb_bad_return')!, donor, 'handler_ret2'), ['reject', 'At program exit the register R0 has smin=2 smax=3 should have been in [0, 1]']);
  });
});

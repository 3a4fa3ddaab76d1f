/**
 * How Linux 6.18's btf_ctx_access types a tp_btf program's pointer arguments
 * (test/fixtures/tp-btf-args/tp_btf_args.c), found with real tracing programs (bcc's schedsnoop,
 * /tmp/h14t) and a probe of every struct-pointer argument of every tracepoint of the running kernel:
 * - raw_tp_null_args: tcp_send_reset's sk and skb may be NULL, so a dereference without a check is
 *   refused ("R1 invalid mem access 'trusted_ptr_or_null_'"); signal_generate's siginfo may be an
 *   error-like constant and is read as a scalar. bpflab typed both as trusted pointers and accepted.
 * - is_void_or_int_ptr: a pointer to a function (workqueue_execute_end's work_func_t) is refused
 *   ("type FUNC_PROTO is not a struct"); bpflab read it as a scalar.
 * - the log: each pointer argument load prints "func 'f' argN has btf_id ..." (the state then goes on
 *   a line of its own), "marking pointer arg1 as scalar as it may encode error" has no newline, and a
 *   raw-mode helper writing 16 stack bytes scratches both slots.
 * Compared with the running kernel (verdict, processed count, the level-1 log of every rejection);
 * skipped with the reason when bpf() or the kernel BTF is not available.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import type { Program } from '../../src/isa/program.js';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { loadFile } from '../../src/loader/index.js';
import { verify } from '../../src/verifier/index.js';
import { firstKernelError } from '../../src/verifier/kernel-log.js';
import { rawTpArgNullness } from '../../src/verifier/raw-tp-null-args.js';

const VMLINUX = '/sys/kernel/btf/vmlinux';
const haveBtf = existsSync(VMLINUX);
if (!haveBtf) console.log(`skip tp_btf argument typing: no ${VMLINUX}`);
const k = kernelAvailable();
if (!k.ok) console.log(`skip tp_btf argument typing, kernel side: ${k.reason}`);

const fixture = new URL('../fixtures/tp-btf-args/tp_btf_args.o', import.meta.url);
const programs = async (): Promise<Program[]> => loadFile(fixture.pathname, new Uint8Array(readFileSync(fixture)));

/** The log without what differs by machine (map addresses) and the statistics. */
const comparable = (log: string): string[] => log.split('\n').filter((l) => l !== '' && !/^verification time|^\d+: \(18\)/.test(l));

describe('raw_tp_null_args', () => {
  test('argument nibbles: NULL (0x1), IS_ERR (0x2), per argument', () => {
    expect(rawTpArgNullness('tcp_send_reset', 0)).toEqual({ maybeNull: true, maybeErr: false });
    expect(rawTpArgNullness('tcp_send_reset', 1)).toEqual({ maybeNull: true, maybeErr: false });
    expect(rawTpArgNullness('tcp_send_reset', 2)).toEqual({ maybeNull: false, maybeErr: false });
    expect(rawTpArgNullness('signal_generate', 1)).toEqual({ maybeNull: false, maybeErr: true });
    expect(rawTpArgNullness('cachefiles_lookup', 0)).toEqual({ maybeNull: true, maybeErr: false });
    expect(rawTpArgNullness('cachefiles_lookup', 2)).toEqual({ maybeNull: false, maybeErr: true });
    expect(rawTpArgNullness('kfree_skb', 3)).toEqual({ maybeNull: true, maybeErr: false });
    expect(rawTpArgNullness('sched_switch', 1)).toEqual({ maybeNull: false, maybeErr: false });
  });

  test('the kernel message of a stats-only log: not the argument note, not the trailing source line', () => {
    expect(firstKernelError("func 'workqueue_execute_end' arg1 type FUNC_PROTO is not a struct\ninvalid bpf_context access off=8 size=8\n; return ctx[1] != 0; @ x.c:57\nverification time 9 usec\nprocessed 1 insns\n"))
      .toBe("func 'workqueue_execute_end' arg1 type FUNC_PROTO is not a struct");
    expect(firstKernelError("func 'sched_switch' arg2 has btf_id 114 type STRUCT 'task_struct'\ninvalid func unknown#195896080\nverification time 354 usec\n"))
      .toBe('invalid func unknown#195896080');
    expect(firstKernelError("func 'signal_generate' arg1 has btf_id 446 type STRUCT 'kernel_siginfo'\nmarking pointer arg1 as scalar as it may encode errorR1 invalid mem access 'scalar'\n; return *(int *)ctx[1]; @ x.c:40\n"))
      .toBe("R1 invalid mem access 'scalar'");
  });
});

describe.skipIf(!haveBtf)('tp_btf pointer arguments as 6.18 types them', () => {
  const expected: Record<string, string> = {
    rst_sk_deref: "R1 invalid mem access 'trusted_ptr_or_null_'",
    rst_checked: 'accept',
    sig_info_deref: "R1 invalid mem access 'scalar'",
    sig_info_scalar: 'accept',
    fnptr_arg: "func 'workqueue_execute_end' arg1 type FUNC_PROTO is not a struct",
    comm_then_bad: "R1 invalid mem access 'scalar'",
  };

  test('verdicts and messages', async () => {
    const ps = await programs();
    expect(ps.map((p) => p.name).sort()).toEqual(Object.keys(expected).sort());
    for (const p of ps) {
      const v = verify(p);
      expect(`${p.name}: ${v.verdict === 'accept' ? 'accept' : v.error!.message}`).toBe(`${p.name}: ${expected[p.name]}`);
    }
    // the NULL checks of rst_checked are real branches now: 11 instructions processed, as the kernel does
    expect(verify(ps.find((p) => p.name === 'rst_checked')!).processed).toBe(11);
  });

  test('the level-1 log: argument notes, the open line, both scratched slots', async () => {
    const ps = await programs();
    const log = (name: string): string[] => comparable(verify(ps.find((p) => p.name === name)!, { log: true }).log!);
    expect(log('sig_info_deref').join('\n')).toMatch(/^func 'signal_generate' arg1 has btf_id \d+ type STRUCT 'kernel_siginfo'\nmarking pointer arg1 as scalar as it may encode error1: R1=scalar\(\)$/m);
    expect(log('rst_sk_deref').join('\n')).toMatch(/^func 'tcp_send_reset' arg0 has btf_id \d+ type STRUCT 'sock'\n1: R1=trusted_ptr_or_null_sock\(id=1\)$/m);
    expect(log('comm_then_bad').find((l) => l.includes('call bpf_probe_read_kernel_str'))).toMatch(/fp-8=\S+ fp-16=mmmmmmmm$/);
  });

  test.skipIf(!k.ok)('the kernel agrees: verdict, processed count, and the whole log of each rejection', async () => {
    for (const p of await programs()) {
      const v = verify(p, { log: true });
      const r = progLoad(p, { logLevel: 1 });
      if (r.fd !== null) closeFd(r.fd);
      expect(`${p.name} ${r.verdict}`).toBe(`${p.name} ${v.verdict}`);
      expect(`${p.name} ${r.processed}`).toBe(`${p.name} ${v.processed}`);
      if (v.verdict === 'reject') expect(comparable(v.log!)).toEqual(comparable(r.log));
    }
  });
});

/**
 * Dynptrs (test/fixtures/btf-typed/dynptr.c, dynptr_global.c, dynptr_user_ringbuf.c): the verdicts and messages of
 * 6.18's verifier for skb / xdp / local / ring-buffer dynptrs, slices, clones and global
 * functions taking a dynptr; where the running kernel is available, the same verdict and the
 * same number of processed instructions. The accepted programs compute a number from every
 * dynptr function's results: the VM, the JIT and BPF_PROG_TEST_RUN must return the same.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { closeFd, kernelAvailable, progLoad, runInKernel } from '../../src/kernel/index.js';
import { loadFile } from '../../src/loader/index.js';
import type { Program } from '../../src/isa/program.js';
import { Jit } from '../../src/jit/index.js';
import { Vm } from '../../src/vm/index.js';
import { R0_MAP, captureR0 } from '../../src/vm/kernel-harness.js';
import { verify } from '../../src/verifier/index.js';

const haveBtf = existsSync('/sys/kernel/btf/vmlinux');
if (!haveBtf) console.log('skip dynptr programs: no /sys/kernel/btf/vmlinux');
const k = kernelAvailable();
if (!k.ok) console.log(`dynptr programs: no kernel comparison (${k.reason})`);

/** Verdict, message, and for accepted programs the result on PACKET (null: not run; tracepoints have no BPF_PROG_TEST_RUN). */
const EXPECT: Record<string, ['accept', bigint | null] | ['reject', string]> = {
  xdp_slices: ['accept', 66048n],
  skb_read_write: ['accept', 4079n],
  local_map_value: ['accept', 1110608n],
  ringbuf_roundtrip: ['accept', 1042n],
  memset_fill: ['accept', 1111137242n],
  misaligned: ['reject', 'Dynptr has to be an uninitialized dynptr'],
  clone_after_release: ['reject', 'Expected an initialized dynptr as arg #2'],
  double_submit: ['reject', 'arg 1 is an unacquired reference'],
  partial_overwrite: ['reject', 'Expected an initialized dynptr as arg #2'],
  global_dynptr_arg: ['accept', 10n],
  global_dynptr_uninit: ['reject', 'Expected an initialized dynptr as arg #0'],
  global_dynptr_release: ['reject', 'cannot release unowned const bpf_dynptr'],
  global_dynptr_reinit: ['reject', 'Dynptr has to be an uninitialized dynptr'],
  user_ringbuf_sample: ['accept', null],
  user_ringbuf_release: ['reject', 'cannot release unowned const bpf_dynptr'],
};

/** An Ethernet header with EtherType 0x0800 and 50 bytes 0, 1, ..., 49. */
const PACKET = Uint8Array.from([...new Array<number>(12).fill(0), 0x08, 0x00, ...Array.from({ length: 50 }, (_, i) => i)]);

const load = async (name: string): Promise<Program[]> =>
  loadFile(`${name}.o`, new Uint8Array(readFileSync(new URL(`../fixtures/btf-typed/${name}.o`, import.meta.url))));
const all = async (): Promise<Program[]> => [...(await load('dynptr')), ...(await load('dynptr_global')), ...(await load('dynptr_user_ringbuf'))];

describe.skipIf(!haveBtf)('dynptrs', () => {
  test('verdicts and messages; the kernel agrees and processes as many instructions', async () => {
    const programs = await all();
    expect(programs.map((p) => p.name).sort()).toEqual(Object.keys(EXPECT).sort());
    for (const p of programs) {
      const [verdict, want] = EXPECT[p.name]!;
      const r = verify(p);
      expect(r.verdict, `${p.name}: ${r.error?.message}`).toBe(verdict);
      if (verdict === 'reject') expect(r.error!.message, p.name).toBe(want);
      if (!k.ok) continue;
      const kr = progLoad(p, { logLevel: 1 });
      if (kr.fd !== null) closeFd(kr.fd);
      expect(kr.verdict, `${p.name}: kernel ${kr.log.slice(-300)}`).toBe(verdict);
      if (verdict === 'reject') expect(kr.log, p.name).toContain(want as string);
      expect(r.processed, `${p.name}: processed`).toBe(Number(/processed (\d+) insns/.exec(kr.log)?.[1]));
    }
  });

  test('the VM and the JIT (checked and trusted) return what BPF_PROG_TEST_RUN returns', async () => {
    for (const p of await all()) {
      const [verdict, want] = EXPECT[p.name]!;
      if (verdict !== 'accept' || want === null) continue;
      const vm = new Vm(p).run({ packet: PACKET.slice() });
      expect(vm.r0, `${p.name}: vm`).toBe(want);
      for (const mode of ['checked', 'trusted'] as const) expect(new Jit(p, { mode }).run({ packet: PACKET.slice() }).r0, `${p.name}: jit ${mode}`).toBe(want);
      if (!k.ok) continue;
      const kr = runInKernel(captureR0(p), { data: PACKET.slice() });
      expect(kr.load.verdict, p.name).toBe('accept');
      const r0 = kr.maps.find((m) => m.name === R0_MAP)?.entries[0]?.[1];
      expect(r0 && new DataView(r0.buffer, r0.byteOffset).getBigUint64(0, true), `${p.name}: kernel`).toBe(want);
    }
  });

  test('the log shows dynptr slots as the kernel prints them', async () => {
    const p = (await load('dynptr')).find((x) => x.name === 'ringbuf_roundtrip')!;
    const log = verify(p, { log: true, logLevel: 2 }).log!;
    // The reservation's reference (ref_id) and the kernel's dynptr_id=1 (first_slot read through the union).
    expect(log).toMatch(/fp-16=dynptr_ringbuf\(id=\d+,ref_id=\d+,dynptr_id=1\)/);
    // bpf_dynptr_data's slice: nullable memory of the asked size carrying the dynptr's reference.
    expect(log).toMatch(/R0=mem_or_null\(id=\d+,ref_obj_id=\d+,sz=8\)/);
    // A callback's sample: CONST_PTR_TO_DYNPTR, printed with its type.
    const cb = (await load('dynptr_user_ringbuf')).find((x) => x.name === 'user_ringbuf_sample')!;
    expect(verify(cb, { log: true, logLevel: 2 }).log!).toMatch(/R1=dynptr_ptr\(id=\d+,type=local\)/);
  });
});

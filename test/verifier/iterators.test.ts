/**
 * Open-coded iterators (bpf_iter_num_* through bpf_for / bpf_repeat, bpf_iter_task_vma_*) and may_goto (can_loop /
 * cond_break), from test/fixtures/btf-typed/iterators.c: the verdicts and messages of 6.18's
 * verifier, and, where the running kernel can load the program, the same verdict, the same
 * number of processed instructions (the loops converge as the kernel's do) and the same stack
 * depth (may_goto's hidden counter included).
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { loadFile } from '../../src/loader/index.js';
import type { Program } from '../../src/isa/program.js';
import { verify } from '../../src/verifier/index.js';

const file = new URL('../fixtures/btf-typed/iterators.o', import.meta.url);
const haveBtf = existsSync('/sys/kernel/btf/vmlinux');
if (!haveBtf) console.log('skip iterator programs: no /sys/kernel/btf/vmlinux');
const k = kernelAvailable();
if (!k.ok) console.log(`iterator programs: no kernel comparison (${k.reason})`);

const EXPECT: Record<string, ['accept'] | ['reject', string]> = {
  for_sum: ['accept'],
  for_index: ['accept'],
  repeat_count: ['accept'],
  can_loop_sum: ['accept'],
  cond_break_search: ['accept'],
  nested: ['accept'],
  may_goto_in_for: ['accept'],
  loop_in_subprog: ['accept'],
  use_after_destroy: ['reject', "R7 invalid mem access 'scalar'"],
  task_vmas: ['accept'],
  task_vma_write: ['reject', 'only read is supported'],
  iter_leak: ['reject', 'Unreleased reference id=1 alloc_insn=5'],
  iter_uninit: ['reject', 'expected an initialized iter_num as arg #0'],
  iter_new_twice: ['reject', 'expected uninitialized iter_num as arg #0'],
  iter_overwritten: ['reject', 'expected an initialized iter_num as arg #0'],
};

const load = async (): Promise<Program[]> => loadFile('iterators.o', new Uint8Array(readFileSync(file)));

describe.skipIf(!haveBtf)('open-coded iterators and may_goto', () => {
  test('verdicts and messages; the kernel agrees and processes as many instructions', async () => {
    const programs = await load();
    expect(programs.map((p) => p.name).sort()).toEqual(Object.keys(EXPECT).sort());
    for (const p of programs) {
      const [verdict, message] = EXPECT[p.name]!;
      const r = verify(p);
      expect(r.verdict, `${p.name}: ${r.error?.message}`).toBe(verdict);
      if (message) expect(r.error!.message).toBe(message);
      // Converged loops: a few iterations, not 1000 (the nested 10 x 10 loop: 203 as the kernel).
      expect(r.processed).toBeLessThan(250);
      if (!k.ok) continue;
      const kr = progLoad(p, { logLevel: 1 });
      if (kr.fd !== null) closeFd(kr.fd);
      expect(kr.verdict, `${p.name}: kernel ${kr.log.slice(-300)}`).toBe(verdict);
      const processed = /processed (\d+) insns/.exec(kr.log)?.[1];
      expect(r.processed, `${p.name}: processed`).toBe(Number(processed));
      // The stack depth the kernel reports, may_goto's hidden 16 bytes (x86-64) included.
      if (process.arch === 'x64') expect(r.stackDepth?.join('+'), `${p.name}: stack depth`).toBe(/stack depth ([\d+]+)/.exec(kr.log)?.[1]);
    }
  });

  test('the log shows the iterator slot as the kernel prints it', async () => {
    const p = (await load()).find((x) => x.name === 'iter_leak')!;
    const log = verify(p, { log: true }).log!;
    expect(log).toContain('fp-8=iter_num(ref_id=1,state=active,depth=0) refs=1');
    expect(log).toContain('R0=0 fp-8=iter_num(ref_id=1,state=drained,depth=0) refs=1');
  });

  test('the element pointer dies with the iterator; may_goto with other fields is refused', async () => {
    const p = (await load()).find((x) => x.name === 'for_sum')!;
    // The element r0 carries the iterator's reference, as the kernel's meta->ref_obj_id.
    const log = verify(p, { log: true, logLevel: 2 }).log!;
    expect(log).toMatch(/R0=rdonly_mem\(id=\d+,ref_obj_id=1,sz=4\)/);
    const mg = (await load()).find((x) => x.name === 'can_loop_sum')!;
    const at = mg.insns.findIndex((i) => i.code === 0xe5);
    expect(at).toBeGreaterThanOrEqual(0);
    const bad = { ...mg, insns: mg.insns.map((i, n) => (n === at ? { ...i, imm: 1 } : i)) };
    const r = verify(bad);
    expect(r.error).toMatchObject({ pc: at, message: 'invalid may_goto imm 1' });
  });
});

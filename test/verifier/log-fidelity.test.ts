/**
 * Log lines and messages worded as Linux 6.18 words them, each compared with the running kernel
 * when it is there: a helper's out-of-bounds stack buffer names the helper's access ("invalid
 * read from" / "write to", not 6.12's "indirect access to"); ld_imm64 constants print as
 * "0x%llx" without bpflab's " ll"; mark_precise's first line ends with a space; an object whose
 * BTF the kernel refuses (a FUNC with an unnamed parameter) is verified without func_info, so the
 * main program's signature is not read ("Global function ... doesn't return scalar" absent).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { btfLoad, closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { loadFile } from '../../src/loader/index.js';
import type { Program } from '../../src/isa/program.js';
import { runObject } from '../../src/selftests/index.js';
import { verify } from '../../src/verifier/index.js';
import { prog } from '../runtime/util.js';

const k = kernelAvailable();
if (!k.ok) console.log(`log fidelity: no kernel comparison (${k.reason})`);

/**
 * The lines both logs have in common (not the kernel's timing), a map reference's operand as one
 * word (the kernel prints the map's address, bpflab its name) and the padding after it collapsed.
 */
const lines = (log: string): string[] => log.split('\n').map((l) => l.trimEnd()).filter((l) => l && !/^verification time/.test(l))
  .map((l) => (/= (0x[0-9a-f]{16}|map_value\[[^\]]*\] \+ \d+|map\[[^\]]*\])/.test(l) ? l.replace(/0x[0-9a-f]{16}|map_value\[[^\]]*\] \+ \d+|map\[[^\]]*\]/g, 'MAP').replace(/ +/g, ' ') : l));

/** bpflab's log at `level`, checked line for line against the kernel's when it is there. */
function likeKernel(p: Program, level: 1 | 2 = 1): { log: string; lines: string[] } {
  const r = verify(p, { log: true, logLevel: level });
  if (k.ok) {
    const kr = progLoad(p, { logLevel: level });
    if (kr.fd !== null) closeFd(kr.fd);
    expect(kr.verdict, p.name).toBe(r.verdict);
    expect(lines(r.log!), p.name).toEqual(lines(kr.log));
  }
  return { log: r.log!, lines: lines(r.log!) };
}

describe('helper stack buffers out of bounds (check_stack_access_within_bounds, 6.13+)', () => {
  const cases: [string, string, string, string][] = [
    // a helper that writes its buffer (MEM_UNINIT / MEM_WRITE): BPF_WRITE
    ['kprobe', 'r1 = r10\nr1 += -8\nr2 = 16\nr3 = 0\ncall bpf_probe_read_kernel\nr0 = 0\nexit', 'helper_write_const', 'invalid write to stack R1 off=-8 size=16'],
    // a helper that reads its buffer: BPF_READ
    ['sched_cls', 'r1 = 0\n*(u64 *)(r10 -8) = r1\nr1 = r10\nr1 += -8\nr2 = 16\nr3 = 0\nr4 = 0\nr5 = 0\ncall bpf_csum_diff\nr0 = 0\nexit', 'helper_read_const', 'invalid read from stack R1 off=-8 size=16'],
    ['sched_cls', 'call bpf_get_prandom_u32\nr0 &= 8\nr1 = r10\nr1 += -16\nr1 += r0\nr2 = 16\nr3 = 0\nr4 = 0\nr5 = 0\ncall bpf_csum_diff\nr0 = 0\nexit', 'helper_read_var', 'invalid variable-offset read from stack R1 var_off=(0x0; 0x8) off=-16 size=16'],
    ['kprobe', 'call bpf_get_prandom_u32\nr0 &= 8\nr1 = r10\nr1 += -16\nr1 += r0\nr2 = 16\nr3 = 0\ncall bpf_probe_read_kernel\nr0 = 0\nexit', 'helper_write_var', 'invalid variable-offset write to stack R1 var_off=(0x0; 0x8) off=-16 size=16'],
  ];
  for (const [type, text, name, message] of cases) {
    test(name, () => {
      const p = { ...prog(text, type as Program['type']), name };
      expect(verify(p).error?.message).toBe(message);
      likeKernel(p);
    });
  }
});

describe('log lines', () => {
  test('ld_imm64 constants print as the kernel prints them: 0x%llx, no " ll"', () => {
    const { lines: l } = likeKernel({ ...prog('r1 = 0x123456789 ll\nr2 = 5 ll\nr0 = 0\nr0 = *(u64 *)(r0 +0)\nexit'), name: 'imm64' }, 2);
    expect(l).toContain('0: (18) r1 = 0x123456789              ; R1=0x123456789');
    expect(l).toContain('      2: .......... (18) r2 = 0x5');
  });

  test('mark_precise: a parent state is printed for every frame, the current one down to frame 0', () => {
    const text = 'call bpf_ktime_get_ns\nr0 &= 255\nr6 = r0\nr1 = r0\ncall pc+2\nr0 = 0\nexit\n'
      + 'r6 = r1\nr7 = r1\ncall pc+2\nr0 = 0\nexit\n'
      + 'if r1 > 7 goto +0\nr2 = r10\nr2 += r1\nr0 = 0\nexit';
    const { lines: l } = likeKernel({ ...prog(text), name: 'frames' }, 2);
    // (checkpoints at the calls: the walk reaches parent states in frame 1)
    const i = l.findIndex((x) => x.startsWith('mark_precise: frame1: parent state regs=r1 stack=:  frame1: R1=P'));
    expect(i).toBeGreaterThan(0);
    expect(l[i + 1]).toMatch(/^mark_precise: frame0: parent state regs= stack=:  R6=scalar\(id=1,/);
  });

  test('C source lines before the instructions (verbose_linfo): once per line, across subprograms', async () => {
    const obj = resolve(__dirname, '../fixtures/selftests/source_lines.o');
    const [p] = await loadFile(obj, new Uint8Array(readFileSync(obj)));
    const { lines: l } = likeKernel(p!, 2);
    const at = l.indexOf('; if (a > 5) @ source_lines.c:15');
    expect(at).toBeGreaterThan(0);
    expect(l[at + 1]).toMatch(/^3: \(25\) if r1 > 0x5 goto pc\+\d+/);
    expect(l).toContain('; if (v > 3) @ source_lines.c:7');
    // one line per source line, however many records and columns it has
    expect(l.filter((x) => x === '; if (a > 5) @ source_lines.c:15').length).toBe(1);
  });

  test('mark_precise: the walk line ends with a space, as the kernel writes it', () => {
    const r = verify({ ...prog('call bpf_get_prandom_u32\nr0 &= 7\nr1 = r10\nr1 += r0\nr0 = 0\nexit'), name: 'precise' }, { log: true, logLevel: 2 });
    expect(r.log).toContain('mark_precise: frame0: last_idx 3 first_idx 0 subseq_idx -1 \n');
    likeKernel({ ...prog('call bpf_get_prandom_u32\nr0 &= 7\nr1 = r10\nr1 += r0\nr0 = 0\nexit'), name: 'precise' }, 2);
  });
});

describe('an acquired kfunc result (check_kfunc_call: a flagless PTR_TO_BTF_ID, trusted by its reference)', () => {
  const obj = resolve(__dirname, '../../../shared/kernel-selftests/obj/verifier_global_ptr_args.o');
  test.skipIf(!existsSync(obj))('prints as ptr_or_null_ (not trusted_ptr_or_null_) and is refused as such by a trusted global argument', async () => {
    const p = (await loadFile(obj, new Uint8Array(readFileSync(obj)))).find((x) => x.name === 'trusted_task_arg_nonnull_fail2')!;
    const r = verify(p, { log: true, logLevel: 2 });
    expect(r.error?.message).toBe('R1 type=ptr_or_null_ expected=ptr_, trusted_ptr_, rcu_ptr_');
    expect(r.log).toContain('2: (85) call bpf_task_acquire#');
    expect(r.log).toMatch(/call bpf_task_acquire#\d+ +; R0=ptr_or_null_task_struct\(id=2,ref_obj_id=2\) refs=2\n/);
    if (!k.ok) return;
    const kr = progLoad(p, { logLevel: 2 });
    if (kr.fd !== null) closeFd(kr.fd);
    expect(kr.log).toContain(r.error!.message);
    expect(kr.log).toMatch(/call bpf_task_acquire#\d+ +; R0=ptr_or_null_task_struct\(id=2,ref_obj_id=2\) refs=2\n/);
  });
});

describe('an object whose BTF the kernel refuses (btf_func_check: "Invalid arg#1")', () => {
  const obj = resolve(__dirname, '../fixtures/selftests/unnamed_arg.o');
  test('is verified without func_info: the main program\'s signature is not read', async () => {
    const [p] = await loadFile(obj, new Uint8Array(readFileSync(obj)));
    expect(p!.btf?.kernelRefuses).toMatch(/FUNC unnamed_arg type_id=\d+ Invalid arg#1$/);
    expect(p!.funcInfo).toBeUndefined();
    const { lines: l } = likeKernel(p!);
    expect(l[0]).toBe('0: R1=ctx() R10=fp0');
    if (k.ok) {
      // the kernel's own reason, on the object's BTF as it is
      const b = btfLoad(p!.btf!.raw);
      if (b.fd !== null) closeFd(b.fd);
      expect(b.fd).toBeNull();
      expect(b.log).toMatch(/FUNC unnamed_arg type_id=\d+ Invalid arg#1/);
    }
    const [t] = await runObject(obj, new Uint8Array(readFileSync(obj)));
    expect(t).toMatchObject({ verdict: 'reject', passed: true });
  });
});

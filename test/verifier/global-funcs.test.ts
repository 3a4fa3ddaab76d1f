/**
 * BTF-global subprograms: verified once on their own from their BTF signature, with arguments
 * checked at each call site (the kernel's btf_check_func_arg_match / do_check_subprogs). Assembly
 * cannot carry BTF, so the programs get their func_info by hand.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import type { FuncInfo, FuncParam, Program } from '../../src/isa/program.js';
import { loadFile } from '../../src/loader/index.js';
import { samplesDir } from '../../src/bench/verifier.js';
import { verify } from '../../src/verifier/index.js';

/** A program whose subprogram at `subPc` is `f`, global with `params` (or static). */
function prog(text: string, subPc: number, params: FuncParam[] | null, linkage: 'global' | 'static' = 'global'): Program {
  const a = assemble(text);
  const sub: FuncInfo = { pc: subPc, name: 'f', linkage };
  if (params) sub.params = params;
  else sub.paramError = "arg#0 reference type('UNKNOWN ') size cannot be determined: -22";
  return {
    name: 'p', section: '', type: 'socket_filter', insns: a.insns, maps: a.maps, license: 'GPL',
    funcInfo: [{ pc: 0, name: 'p', linkage: 'global', params: [{ kind: 'ctx' }] }, sub],
  };
}

/** main passes fp-8 (4 bytes written) to f(int *p); f dereferences p without a NULL check. */
const UNCHECKED = `
  *(u32 *)(r10 -8) = 7
  r1 = r10
  r1 += -8
  call f
  r0 = 0
  exit
f:
  r0 = *(u32 *)(r1 +0)
  exit`;

describe('global subprograms', () => {
  it('verifies a global on its own: a pointer argument may be NULL', () => {
    const r = verify(prog(UNCHECKED, 6, [{ kind: 'ptr', size: 4 }]), { log: true });
    expect(r.verdict).toBe('reject');
    expect(r.error).toMatchObject({ pc: 6, kind: 'null_pointer', message: "R1 invalid mem access 'mem_or_null'" });
    expect(r.log).toContain("Func#1 ('f') is global and assumed valid.");
    expect(r.log).toContain('Validating f() func#1...');
    expect(r.log).toContain('6: R1=mem_or_null(id=1,sz=4) R10=fp0');
    // The same program without BTF (or with f static) inlines the call and sees the stack pointer.
    const { funcInfo: _f, ...bare } = prog(UNCHECKED, 6, [{ kind: 'ptr', size: 4 }]);
    expect(verify(bare).verdict).toBe('accept');
    expect(verify(prog(UNCHECKED, 6, [{ kind: 'ptr', size: 4 }], 'static')).verdict).toBe('accept');
  });

  it('accepts a NULL-checked pointer and a read within the pointee size, once for all callers', () => {
    const checked = `
      *(u64 *)(r10 -8) = 0
      r1 = r10
      r1 += -8
      call f
      r1 = 0
      call f
      exit
    f:
      r0 = 0
      if r1 == 0 goto out
      r0 = *(u32 *)(r1 +4)
    out:
      exit`;
    const r = verify(prog(checked, 7, [{ kind: 'ptr', size: 8 }]), { log: true });
    expect(r.error).toBeNull();
    expect(r.log).toContain("Func#1 ('f') is safe for any args that match its prototype");
    expect(r.log!.match(/Validating f\(\) func#1/g)).toHaveLength(1);
    // One byte past the pointee: rejected inside f, whatever the caller passed.
    const over = checked.replace('*(u32 *)(r1 +4)', '*(u32 *)(r1 +5)');
    expect(verify(prog(over, 7, [{ kind: 'ptr', size: 8 }])).error?.message).toBe('invalid access to memory, mem_size=8 off=5 size=4');
  });

  it('returns an unknown scalar to the caller and clobbers r1-r5', () => {
    const text = `
      r6 = r1
      r2 = 0
      r1 = 5
      call f
      if r0 > 3 goto bad
      r0 = 0
      exit
    bad:
      r0 = *(u32 *)(r2 +0)
      exit
    f:
      r0 = 1
      exit`;
    const r = verify(prog(text, 9, [{ kind: 'scalar' }]));
    expect(r.error).toMatchObject({ pc: 7, message: 'R2 !read_ok' });
    // Static, the callee's r0 = 1 makes the bad branch dead.
    expect(verify(prog(text, 9, [{ kind: 'scalar' }], 'static')).verdict).toBe('accept');
  });

  it('checks the arguments at the call site with the kernel messages', () => {
    const call = (setup: string, params: FuncParam[] | null) => verify(prog(`${setup}
      call f
      r0 = 0
      exit
    f:
      r0 = 0
      exit`, setup.trim().split('\n').length + 3, params), { log: true, allowUninitStack: false });
    let r = call('r1 = r10\nr1 += -8', [{ kind: 'scalar' }]);
    expect(r.error?.message).toBe('R1 is not a scalar');
    expect(r.log).toMatch(/R1 is not a scalar\nCaller passes invalid args into func#1 \('f'\)\n/);
    expect(call('r1 = 0\nr1 += 0', [{ kind: 'ctx' }]).error?.message).toBe('arg#0 expects pointer to ctx');
    expect(call('r1 += 4\nr1 += 0', [{ kind: 'ctx' }]).error?.message).toBe('dereference of modified ctx ptr R1 off=4 disallowed');
    // Memory arguments: pointee bytes must be initialised stack (read and written by the callee).
    expect(call('r1 = r10\nr1 += -8', [{ kind: 'ptr', size: 4 }]).error).toMatchObject({ kind: 'stack_uninit', message: 'invalid read from stack R1 off -8+0 size 4' });
    expect(call('r1 = 7\nr1 += 0', [{ kind: 'ptr', size: 4 }]).error?.message).toBe('R1 type=scalar expected=fp');
    expect(call('r1 = 0\nr1 += 0', [{ kind: 'ptr', size: 4 }]).error).toBeNull();
    expect(call('r1 = 0\nr1 += 0', [{ kind: 'scalar' }, { kind: 'scalar' }]).error?.message).toBe('R2 is not a scalar');
    r = call('r1 = 0\nr1 += 0', null);
    expect(r.error?.message).toBe("arg#0 reference type('UNKNOWN ') size cannot be determined: -22");
    expect(r.log).toContain("Caller passes invalid args into func#1 ('f')");
  });

  it('rejects a pointer returned from a global and verifies globals a global calls', () => {
    const ret = verify(prog(`
      call f
      r0 = 0
      exit
    f:
      r0 = r10
      exit`, 3, []));
    expect(ret.error).toMatchObject({ pc: 4, message: 'At subprogram exit the register R0 is not a scalar value (fp)' });
    // main -> f (global) -> g (global): g is verified after f, and its bug is found.
    const a = assemble(`
      call f
      r0 = 0
      exit
    f:
      call g
      exit
    g:
      r0 = *(u8 *)(r10 -1)
      exit`);
    const p: Program = { name: 'p', section: '', type: 'socket_filter', insns: a.insns, maps: a.maps, license: 'GPL',
      funcInfo: [{ pc: 0, name: 'p', linkage: 'global' }, { pc: 3, name: 'f', linkage: 'global', params: [] }, { pc: 5, name: 'g', linkage: 'global', params: [] }] };
    const r = verify(p, { log: true, allowUninitStack: false });
    expect(r.error).toMatchObject({ pc: 5, kind: 'stack_uninit' });
    expect(r.log!.indexOf('Validating f() func#1')).toBeLessThan(r.log!.indexOf('Validating g() func#2'));
  });

  it('leaves a global that no explored path calls unverified', () => {
    const text = `
      r0 = 0
      if r0 != 0 goto dead
      exit
    dead:
      call f
      exit
    f:
      r0 = *(u8 *)(r10 -1)
      exit`;
    const r = verify(prog(text, 5, []), { log: true });
    expect(r.verdict).toBe('accept');
    expect(r.log).not.toContain('Validating');
  });

  const bpf2bpf = resolve(samplesDir(), 'build/bpf2bpf.o');
  it.skipIf(!existsSync(bpf2bpf))('rejects corpus-samples build/bpf2bpf.o like the kernel (processed 50 insns)', async () => {
    const [p] = await loadFile(bpf2bpf, readFileSync(bpf2bpf), { type: 'socket_filter' });
    const r = verify(p!, { log: true });
    expect(r.error).toMatchObject({ pc: 49, message: "R1 invalid mem access 'mem_or_null'" });
    expect(r.processed).toBe(50);
    // The kernel's log lines around global functions (checked against 6.18's log_level 2).
    const log = r.log!;
    expect(log.startsWith("arg#0 reference type('UNKNOWN ') size cannot be determined: -22\n0: R1=ctx() R10=fp0\n")).toBe(true);
    expect(log).toContain("Func#1 ('add2') is global and assumed valid.\n8: R0=scalar()");
    expect(log).toContain("Func#1 ('add2') is safe for any args that match its prototype\nValidating add1() func#2...\n45: R1=mem_or_null(id=2,sz=4) R10=fp0\n");
  });
});

describe('__arg_trusted arguments (btf_check_func_arg_match)', () => {
  const obj = resolve(__dirname, '../fixtures/btf-typed/global_trusted_arg.o');
  it.skipIf(!existsSync('/sys/kernel/btf/vmlinux'))('take only a trusted or referenced pointer: an RCU or walked one is refused, as by the kernel', async () => {
    const { closeFd, kernelAvailable, progLoad } = await import('../../src/kernel/index.js');
    const programs = await loadFile(obj, new Uint8Array(readFileSync(obj)));
    const want: Record<string, string | null> = {
      rcu_parent: 'R1 must be referenced or trusted', walked_untrusted: 'R1 must be referenced or trusted', trusted_arg_ok: null,
    };
    expect(programs.map((p) => p.name).sort()).toEqual(Object.keys(want).sort());
    const k = kernelAvailable();
    if (!k.ok) console.log(`__arg_trusted: no kernel comparison (${k.reason})`);
    for (const p of programs) {
      const r = verify(p, { log: true });
      expect(r.error?.message ?? null, p.name).toBe(want[p.name]);
      if (want[p.name]) expect(r.log, p.name).toContain(`${want[p.name]}\nCaller passes invalid args into func#1 ('sub_trusted')\n`);
      if (!k.ok) continue;
      const kr = progLoad(p, { logLevel: 1 });
      if (kr.fd !== null) closeFd(kr.fd);
      expect(kr.verdict, p.name).toBe(r.verdict);
      if (want[p.name]) expect(kr.log, p.name).toContain(`${want[p.name]}\nCaller passes invalid args into func#1 ('sub_trusted')\n`);
    }
  });
});

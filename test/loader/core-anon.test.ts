/**
 * A CO-RE record that ends at an anonymous member (systemd's clat.bpf.c: `struct iphdr ip4h =
 * { ... }` zeroes the anonymous saddr/daddr union through records "0:9"). libbpf's and the
 * kernel's relo_core count no accessor for an anonymous member, so the field of "0:9" is the
 * root's: target offset 0 and the root's size. bpflab took the union as the field (8 bytes
 * against the root's 20) and refused the load ("unexpected mem size"). Checked against the
 * kernel relocating the same records itself (BPF_PROG_LOAD with the object's BTF).
 * The same rule gives an array element (or the root) only an offset and a size: a field_signed
 * record on `comm[1]` fails the relocation ("can't be applied to array access") in libbpf and in
 * the kernel; bpflab computed a value and loaded the program.
 * Skipped, with the reason, when the kernel BTF or bpf() is not available.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import type { Program } from '../../src/isa/program.js';
import { kernelAvailable, runInKernel } from '../../src/kernel/index.js';
import { InputError } from '../../src/isa/errors.js';
import { applyCoreRelocations, loadKernelBtf } from '../../src/loader/core.js';
import { loadElf } from '../../src/loader/elf.js';

const VMLINUX = '/sys/kernel/btf/vmlinux';
const haveBtf = existsSync(VMLINUX);
if (!haveBtf) console.log(`skip CO-RE anonymous-member records: no ${VMLINUX}`);
const k = kernelAvailable();
if (!k.ok) console.log(`skip CO-RE anonymous-member kernel comparison: ${k.reason}`);

const fixture = new URL('../fixtures/core-anon/core_anon.o', import.meta.url);
const load = () => loadElf(new Uint8Array(readFileSync(fixture)), 'core_anon.o');
const prog = (): { p: Program; btf: ReturnType<typeof load>['btf'] } => {
  const o = load();
  return { p: o.programs.find((x) => x.name === 'core_anon')!, btf: o.btf };
};

describe.skipIf(!haveBtf)('CO-RE access ending at an anonymous member', () => {
  test('"0:9" relocates like the root: offset 12 -> 0, no access-size change; "0:9:0:0" (saddr) stays 12', () => {
    const { p, btf } = prog();
    const { program, results } = applyCoreRelocations(p, loadKernelBtf(VMLINUX), btf);
    const anon = results.filter((r) => r.path.endsWith('<anon 9>'));
    expect(anon.length).toBeGreaterThan(0);
    for (const r of anon) expect([r.local, r.target]).toEqual([12n, 0n]);
    const saddr = results.find((r) => r.path.endsWith('.saddr'))!;
    expect([saddr.local, saddr.target]).toEqual([12n, 12n]);
    // The 4-byte zeroing store keeps its size (the root's size is the same on both sides).
    const st = anon.find((r) => (p.insns[r.pc]!.code & 7) === 0x03 || (p.insns[r.pc]!.code & 7) === 0x02)!;
    expect(program.insns[st.pc]!.code).toBe(p.insns[st.pc]!.code);
    expect(program.insns[st.pc]!.off).toBe(0);
  });

  test.skipIf(!k.ok)('the kernel relocating the same records returns the same checksum as our relocation', () => {
    const { p, btf } = prog();
    const mine = runInKernel(applyCoreRelocations(p, loadKernelBtf(VMLINUX), btf).program, { data: new Uint8Array(64) });
    const kernels = runInKernel(p, { data: new Uint8Array(64) });
    expect(mine.load.verdict).toBe('accept');
    expect(kernels.load.verdict).toBe('accept');
    expect(mine.run!.retval).toBe(kernels.run!.retval);
  });
});

const arraySigned = new URL('../fixtures/core-anon/core_array_signed.o', import.meta.url);

describe.skipIf(!haveBtf)('CO-RE signedness of an array element', () => {
  const p = (): { p: Program; btf: ReturnType<typeof load>['btf'] } => {
    const o = loadElf(new Uint8Array(readFileSync(arraySigned)), 'core_array_signed.o');
    return { p: o.programs[0]!, btf: o.btf };
  };

  test('the relocation fails as libbpf\'s does', () => {
    const { p: prog0, btf } = p();
    expect(prog0.btf!.coreRelos!.map((r) => r.access)).toEqual(['0:0:1']);
    expect(() => applyCoreRelocations(prog0, loadKernelBtf(VMLINUX), btf)).toThrow(InputError);
    expect(() => applyCoreRelocations(prog0, loadKernelBtf(VMLINUX), btf)).toThrow(/field_signed can't be applied to array access/);
  });

  test.skipIf(!k.ok)('the kernel relocating the record itself refuses the program', () => {
    const { p: prog0 } = p();
    const r = runInKernel(prog0, { data: new Uint8Array(64), logLevel: 1 });
    expect(r.load.verdict).toBe('reject');
    expect(r.load.log).toContain("can't be applied to array access");
  });
});

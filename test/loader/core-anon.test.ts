/**
 * A CO-RE record that ends at an anonymous member (systemd's clat.bpf.c: `struct iphdr ip4h =
 * { ... }` zeroes the anonymous saddr/daddr union through records "0:9"). libbpf's and the
 * kernel's relo_core count no accessor for an anonymous member, so the field of "0:9" is the
 * root's: target offset 0 and the root's size. bpflab took the union as the field (8 bytes
 * against the root's 20) and refused the load ("unexpected mem size"). Checked against the
 * kernel relocating the same records itself (BPF_PROG_LOAD with the object's BTF).
 * Skipped, with the reason, when the kernel BTF or bpf() is not available.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import type { Program } from '../../src/isa/program.js';
import { kernelAvailable, runInKernel } from '../../src/kernel/index.js';
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

/**
 * libbpf 1.x loading of test/fixtures/btf-typed/externs.c: `.kconfig` externs laid out in a
 * read-only map filled from the running kernel (release, configuration, BTF facts) and frozen,
 * so the verifier reads their values and prunes the branches they rule out, as the kernel does
 * with libbpf's frozen map; weak externs that cannot be resolved are zero; `?socket` keeps its
 * program type. The kernel's own verdict on the same program is compared when bpf() works.
 */
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { describe, expect, test } from 'vitest';
import type { Program } from '../../src/isa/program.js';
import { kernelAvailable, progLoad, closeFd } from '../../src/kernel/index.js';
import { kernelVersionCode } from '../../src/loader/elf-externs.js';
import { loadFileDetailed } from '../../src/loader/index.js';
import { verify } from '../../src/verifier/index.js';

const path = new URL('../fixtures/btf-typed/externs.o', import.meta.url);
const haveBtf = existsSync('/sys/kernel/btf/vmlinux');
if (!haveBtf) console.log('skip extern resolution tests: no /sys/kernel/btf/vmlinux');
const k = kernelAvailable();

describe.skipIf(!haveBtf)('.kconfig / .ksyms externs', () => {
  test('the .kconfig map holds the kernel\'s values and is frozen read-only', async () => {
    const { programs, elf } = await loadFileDetailed('externs.o', new Uint8Array(readFileSync(path)));
    expect(elf!.externs.map((e) => [e.name, e.section, e.weak, e.func])).toEqual(expect.arrayContaining([
      ['LINUX_KERNEL_VERSION', '.kconfig', false, false], ['CONFIG_BPFLAB_NOT_A_CONFIG', '.kconfig', true, false], ['bpflab_no_such_kfunc', '.ksyms', true, true],
    ]));
    const p = programs[0]!;
    expect(p).toMatchObject({ name: 'kconfig_reader', section: '?socket', type: 'socket_filter' });
    const kc = p.maps.find((m) => m.name.endsWith('.kconfig'))!;
    expect(kc).toMatchObject({ type: 'array', readonly: true, maxEntries: 1 });
    // LINUX_KERNEL_VERSION (u32) is laid out first (largest alignment, then smaller size, then name).
    const dv = new DataView(kc.initial!.buffer, kc.initial!.byteOffset);
    const words = [0, 4, 8].map((o) => dv.getUint32(o, true));
    expect(words).toContain(kernelVersionCode(release()));
    expect(kernelVersionCode('6.18.44-fc')).toBe((6 << 16) + (18 << 8) + 44);
    expect(kernelVersionCode('5.10.300')).toBe((5 << 16) + (10 << 8) + 255);
  });

  test('frozen values prune the dead branches: accepted; with an old kernel version it is rejected', async () => {
    const { programs } = await loadFileDetailed('externs.o', new Uint8Array(readFileSync(path)));
    const p = programs[0]!;
    const r = verify(p);
    expect(r.error).toBeNull();
    // The same program on a kernel that reports version 4.0: the out-of-bounds store is reachable.
    const maps = p.maps.map((m) => {
      if (!m.name.endsWith('.kconfig')) return m;
      const initial = new Uint8Array(m.initial!);
      const dv = new DataView(initial.buffer);
      for (const o of [0, 4, 8]) if (dv.getUint32(o, true) === kernelVersionCode(release())) dv.setUint32(o, 4 << 16, true);
      return { ...m, initial };
    });
    const old: Program = { ...p, maps };
    const r2 = verify(old);
    expect(r2.verdict).toBe('reject');
    expect(r2.error!.kind).toBe('map_value_oob');
    if (k.ok) {
      const kr = progLoad(p, { logLevel: 0 });
      if (kr.fd !== null) closeFd(kr.fd);
      expect(kr.verdict).toBe('accept');
    }
  });

  test('--no-core / --btf options: an unreadable explicit BTF is an input error', async () => {
    await expect(loadFileDetailed('externs.o', new Uint8Array(readFileSync(path)), { btf: '/nonexistent/vmlinux' })).rejects.toThrow(/\/nonexistent\/vmlinux/);
  });
});

describe.skipIf(!haveBtf)('.kconfig externs of one-byte integer types', () => {
  test('a char array and an (un)signed char live in the .kconfig map, as libbpf lays them out', async () => {
    const file = new URL('../fixtures/btf-typed/kconfig_char.o', import.meta.url);
    const { programs } = await loadFileDetailed('kconfig_char.o', new Uint8Array(readFileSync(file)));
    const p = programs[0]!;
    const kc = p.maps.find((m) => m.name.endsWith('.kconfig'))!;
    // 64-byte string first (alignment 1, larger size last): the two chars, then the array
    expect(kc.valueSize).toBe(66);
    const r = verify(p);
    expect(r.error).toBeNull();
    if (!k.ok) { console.log(`skip kernel comparison: ${k.reason}`); return; }
    const kr = progLoad(p, { logLevel: 1 });
    if (kr.fd !== null) closeFd(kr.fd);
    expect(kr.verdict, kr.log.slice(-300)).toBe('accept');
  });
});

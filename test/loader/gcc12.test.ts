/**
 * An object built by GCC 12's BPF backend (test/fixtures/gcc-bpf/gcc12.c, bpf-gcc 12.2 -O2 -gbtf
 * -mco-re; GCC is not in CI, the .o is committed) loads as libbpf 1.x loads it:
 * - its BTF describes `char` as an INT with encoding SIGNED|CHAR, which BPF_BTF_LOAD refuses
 *   (btf_int_check_meta: "Unsupported encoding"); libbpf goes on without BTF, so the programs
 *   have no func_info and the maps no key/value types (an sk_storage map then cannot be created
 *   and the whole object fails: gcc12_sk_storage.o);
 * - its .BTF.ext holds CO-RE records but no func_info/line_info: the records are still applied
 *   (before, bpflab dropped the program's BTF with the missing func_info, CO-RE records included,
 *   and verified the load at the compiled offset);
 * - a global's address is `lddw imm=offset` with a relocation against the global's own symbol:
 *   libbpf adds the symbol's value again without a bound check, and the kernel refuses the
 *   offset past `.data` at load ("invalid access to map value pointer"), which bpflab's loader
 *   used to refuse itself with a message of its own.
 * Each verdict is compared with the running kernel when it is there.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { btfLoad, closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { loadFile } from '../../src/loader/index.js';
import { programBtf } from '../../src/verifier/map-record.js';
import { verify } from '../../src/verifier/index.js';
import { BTF_KIND, buildBtf } from '../hostile/build.js';

const obj = resolve(__dirname, '../fixtures/gcc-bpf/gcc12.o');
const bytes = (): Uint8Array => new Uint8Array(readFileSync(obj));
const k = kernelAvailable();
if (!k.ok) console.log(`gcc12: no kernel comparison (${k.reason})`);

/** A target BTF whose task_struct has tgid at offset 8 (the object's local one has it at 4). */
function targetBtf(): string {
  const raw = buildBtf([
    { kind: BTF_KIND.INT, name: 'int', sizeOrType: 4, extra: [(1 << 24) | 32] },
    { kind: BTF_KIND.STRUCT, name: 'task_struct', vlen: 3, sizeOrType: 12, extra: ['pid', 1, 0, 'flags', 1, 32, 'tgid', 1, 64] },
  ]);
  const f = join(mkdtempSync(join(tmpdir(), 'bpflab-gcc12-')), 'target.btf');
  writeFileSync(f, raw);
  return f;
}

describe('a GCC 12 object', () => {
  test('BTF the kernel refuses (INT encoding SIGNED|CHAR): programs without func_info, maps without BTF', async () => {
    const ps = await loadFile(obj, bytes());
    const count = ps.find((p) => p.name === 'count')!;
    expect(count.btf?.kernelRefuses).toMatch(/^\[\d+\] INT char size=1 bits_offset=0 nr_bits=8 encoding=UNKN Unsupported encoding$/);
    expect(count.btf?.kernelIgnores).toBe(true);
    expect(count.btf?.funcInfo).toEqual([]);
    expect(count.funcInfo).toBeUndefined();
    expect(programBtf(count)).toBeNull();
    expect(verify(count).verdict).toBe('accept');
    if (k.ok) {
      const b = btfLoad(count.btf!.raw);
      if (b.fd !== null) closeFd(b.fd);
      expect(b.fd).toBeNull();
      expect(b.log).toMatch(/INT char size=1 bits_offset=0 nr_bits=8 encoding=UNKN Unsupported encoding/);
    }
  });

  test('CO-RE records without func_info are applied', async () => {
    const [p] = await loadFile(obj, bytes(), { section: 'core_tgid', btf: targetBtf() });
    expect(p!.name).toBe('core_tgid');
    expect(p!.insns[0]!.off).toBe(8); // ldxw r0, [r1 + tgid]: 4 in the object, 8 in the target
    expect(p!.btf?.coreRelos).toBeUndefined(); // applied by the loader, none left for the kernel
    // Against the running kernel: task_struct.tgid is far past pt_regs.
    const [live] = await loadFile(obj, bytes(), { section: 'core_tgid' });
    const r = verify(live!);
    expect(r.verdict).toBe('reject');
    expect(r.error?.message).toMatch(/^invalid bpf_context access off=\d+ size=4$/);
    if (k.ok) {
      const kr = progLoad(live!);
      if (kr.fd !== null) closeFd(kr.fd);
      expect(kr.verdict).toBe('reject');
      expect(kr.log).toContain(r.error!.message);
    }
  });

  test('a data relocation past its section loads as libbpf loads it, for the kernel to refuse', async () => {
    const ps = await loadFile(obj, bytes());
    const got = Object.fromEntries(ps.filter((p) => p.name.startsWith('read_g')).map((p) => [p.name, verify(p)]));
    // g0 at offset 8 written as lddw imm=8 + relocation against g0 (value 8): 16 in a 12-byte .data
    expect(got.read_g0!.verdict).toBe('reject');
    expect(got.read_g0!.error?.message).toBe('invalid access to map value pointer, value_size=12 off=16');
    expect(got.read_g0!.processed).toBe(0);
    expect(got.read_g1!.verdict).toBe('accept'); // 4 + 4: inside, on g0 (as loaded by libbpf)
    expect(got.read_g2!.verdict).toBe('accept');
    if (k.ok) {
      for (const p of ps.filter((q) => q.name.startsWith('read_g'))) {
        const kr = progLoad(p);
        if (kr.fd !== null) closeFd(kr.fd);
        expect(kr.verdict, p.name).toBe(got[p.name]!.verdict);
        if (kr.verdict === 'reject') expect(kr.log, p.name).toContain(got[p.name]!.error!.message);
      }
    }
  });

  test('a CO-RE record libbpf cannot apply fails its own program only, kernel column included', async () => {
    // core_tgid's `ldxw r0, [r1 + 4]` (the record's instruction) turned into `mov r0, r1`, as
    // GCC 12 sometimes places a record on a register move: bpf_core_patch_insn refuses it.
    const b = bytes();
    const ldx = [0x61, 0x10, 0x04, 0, 0, 0, 0, 0];
    const at = b.findIndex((_, i) => ldx.every((x, j) => b[i + j] === x));
    expect(at).toBeGreaterThan(0);
    b.set([0xbf, 0x10, 0, 0, 0, 0, 0, 0], at);
    const ps = await loadFile(obj, b, { btf: targetBtf() });
    const core = ps.find((p) => p.name === 'core_tgid')!;
    expect(core.loadError?.message).toMatch(/program 'core_tgid': CO-RE relocation #0 \(field_byte_offset at insn 0, struct task_struct\.tgid\): trying to relocate unrecognized insn #0, code:0xbf$/);
    const r = verify(core);
    expect(r.verdict).toBe('reject');
    expect(r.error?.kind).toBe('load_error');
    expect(verify(ps.find((p) => p.name === 'count')!).verdict).toBe('accept');
    const { kernelVerdict } = await import('../../src/kernel/verdict.js');
    const kv = await kernelVerdict(core);
    if (kv.verdict !== 'unavailable') expect(kv).toMatchObject({ verdict: 'reject', message: expect.stringMatching(/^not loaded: libbpf fails the load: .*unrecognized insn #0/) });
  });

  test('without BTF an sk_storage map cannot be created: every program of the object fails to load', async () => {
    const f = resolve(__dirname, '../fixtures/gcc-bpf/gcc12_sk_storage.o');
    const [p] = await loadFile(f, new Uint8Array(readFileSync(f)));
    expect(p!.btf?.kernelIgnores).toBe(true);
    expect(p!.loadError?.message).toMatch(/^map 'sk_seen': failed to create: Invalid argument\(-22\) \(no BTF: \[\d+\] INT char .*Unsupported encoding\)$/);
    expect(verify(p!).error?.kind).toBe('load_error');
    if (k.ok) {
      // BPF_MAP_CREATE of the map as libbpf creates it without BTF
      const { mapCreateFd } = await import('../../src/kernel/index.js');
      expect(() => { const fd = mapCreateFd(p!.maps[0]!); closeFd(fd); }).toThrow(/EINVAL/);
    }
  });

  test('an extern whose BTF VAR is not declared extern fails the object, as find_extern_btf_id does (-EINVAL)', async () => {
    const f = resolve(__dirname, '../fixtures/gcc-bpf/gcc12_kconfig.o');
    await expect(loadFile(f, new Uint8Array(readFileSync(f)))).rejects.toThrow(/failed to find BTF for extern 'LINUX_KERNEL_VERSION': -22$/);
  });
});

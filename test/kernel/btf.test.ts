/**
 * Programs loaded with their BTF (BPF_BTF_LOAD + func_info + line_info), as libbpf loads
 * them: bpf_loop callbacks and BTF global functions, which the kernel refuses or judges
 * differently without it. Also the host-dependent map fix-up (perf_event_array size) and that
 * no file descriptor is left open. Skipped, with the reason, when bpf() is not available.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import type { Program } from '../../src/isa/program.js';
import { btfLoad, closeFd, createProgramMaps, hostMapSpec, kernelAvailable, mapCreate, mapInfo, possibleCpus, progLoad, runInKernel } from '../../src/kernel/index.js';
import { loadFile } from '../../src/loader/index.js';

const k = kernelAvailable();
if (!k.ok) console.log(`skip BTF loads in the kernel: ${k.reason}`);

const fixtures = new URL('../fixtures/elf/', import.meta.url);
const corpus = new URL('../../../shared/corpus-samples/', import.meta.url);
async function program(base: URL, file: string, name: string, type?: Program['type']): Promise<Program> {
  const ps = await loadFile(file, new Uint8Array(readFileSync(new URL(file, base))), type ? { type } : {});
  const p = ps.find((x) => x.name === name);
  if (!p) throw new Error(`${file}: no program ${name}`);
  return p;
}
const openFds = (): number => readdirSync('/proc/self/fd').length;

describe.skipIf(!k.ok)('BTF at BPF_PROG_LOAD', () => {
  test('the object BTF loads (fixed-up DATASECs) and its fd is ours to close', async () => {
    const p = await program(fixtures, 'kprobe_ringbuf.o', 'trace_openat2');
    const r = btfLoad(p.btf!.raw);
    expect(r.fd, r.log).not.toBeNull();
    closeFd(r.fd!);
  });

  test('the compiler\'s raw .BTF (DATASEC size 0) is what the kernel refuses: hence the fix-ups', async () => {
    const { loadElf } = await import('../../src/loader/elf.js');
    const o = loadElf(new Uint8Array(readFileSync(new URL('kprobe_ringbuf.o', fixtures))), 'kprobe_ringbuf.o');
    const r = btfLoad(o.btfRaw!);
    if (r.fd !== null) closeFd(r.fd);
    expect(r.fd).toBeNull();
    expect(r.log).toMatch(/size == 0|Invalid/);
  });

  test('bpf_loop callback: accepted with func_info, "missing btf func_info" without', async () => {
    const p = await program(fixtures, 'calls_globals.o', 'with_calls');
    const before = openFds();
    const r = progLoad(p, { logLevel: 1 });
    expect(r.verdict, r.log.split('\n').slice(-3).join('\n')).toBe('accept');
    expect(r.withBtf).toBe(true);
    closeFd(r.fd!);
    const bare = progLoad(p, { logLevel: 1, btf: false });
    expect(bare.verdict).toBe('reject');
    expect(bare.log).toContain('missing btf func_info');
    expect(openFds()).toBe(before);
  });

  test('a loaded program with BTF runs: cgroup_skb with_calls on a packet', async () => {
    const p = await program(fixtures, 'calls_globals.o', 'with_calls');
    const r = runInKernel(p, { data: new Uint8Array(64) });
    expect(r.load.verdict).toBe('accept');
    expect(r.run).not.toBeNull();
    expect([0, 1]).toContain(r.run!.retval);
  });

  test('cilium bpf_overlay tail_mcast_ep_delivery (bpf_for_each_map_elem callback) loads as sched_cls', async () => {
    const p = await program(corpus, 'cilium-core/bpf_overlay.o', 'tail_mcast_ep_delivery', 'sched_cls');
    const r = progLoad(p, { logLevel: 0 });
    if (r.fd !== null) closeFd(r.fd);
    expect(r.verdict, r.log.split('\n').slice(-3).join('\n')).toBe('accept');
    expect(progLoad(p, { logLevel: 0, btf: false }).log).toContain('missing btf func_info');
  });

  test('BTF global functions are verified on their own (bpf2bpf.o: int add1(int *x) may get NULL)', async () => {
    const p = await program(corpus, 'build/bpf2bpf.o', 'func', 'socket_filter');
    const r = progLoad(p, { logLevel: 1 });
    expect(r.verdict).toBe('reject');
    expect(r.log).toContain("R1 invalid mem access 'mem_or_null'");
    const bare = progLoad(p, { logLevel: 0, btf: false });
    if (bare.fd !== null) closeFd(bare.fd);
    expect(bare.verdict).toBe('accept');
  });

  test('a BTF the kernel refuses is reported and the load goes on without it', async () => {
    const p = await program(fixtures, 'xdp_parser.o', 'xdp_parse');
    const broken = { ...p, btf: { ...p.btf!, raw: p.btf!.raw.slice(0, 30) } };
    const r = progLoad(broken, { logLevel: 0 });
    if (r.fd !== null) closeFd(r.fd);
    expect(r.btfError).toMatch(/^BPF_BTF_LOAD: E/);
    expect(r.withBtf).toBeUndefined();
    expect(r.verdict).toBe('accept');
  });

  test('maps get their BTF key/value types (spin lock values need them), global data its DATASEC', async () => {
    const p = await program(fixtures, 'spin_lock.o', 'locked_count');
    const spec = p.maps.find((m) => m.name === 'counters')!;
    expect(spec.btfKeyTypeId).toBeGreaterThan(0);
    expect(spec.btfValueTypeId).toBeGreaterThan(0);
    const maps = createProgramMaps(p);
    try {
      const info = mapInfo(maps[0]!.fd);
      expect(info).toMatchObject({ name: 'counters', keySize: 4, valueSize: 16, btfKeyTypeId: spec.btfKeyTypeId, btfValueTypeId: spec.btfValueTypeId });
      expect(info.btfId).toBeGreaterThan(0);
    } finally {
      for (const m of maps) m.close();
    }
    const r = runInKernel(p, { data: new Uint8Array(64), repeat: 3 });
    expect(r.load.verdict, r.load.log.split('\n').slice(-3).join('\n')).toBe('accept');
    expect(r.run!.retval).toBe(1);
    // Without BTF the map value is opaque bytes to the kernel.
    const bare = progLoad(p, { logLevel: 1, btf: false });
    expect(bare.verdict).toBe('reject');
    expect(bare.log).toMatch(/has to have BTF in order to use bpf_spin_lock/);
    // Global data (.data/.rodata/.bss): no key type, the value is the section's DATASEC.
    const g = await program(fixtures, 'calls_globals.o', 'with_calls');
    const idx = g.maps.findIndex((m) => m.type === 'array' && m.maxEntries === 1 && m.initial !== undefined);
    expect(idx).toBeGreaterThanOrEqual(0);
    const gm = createProgramMaps(g);
    try {
      expect(mapInfo(gm[idx]!.fd)).toMatchObject({ btfKeyTypeId: 0, btfValueTypeId: g.maps[idx]!.btfValueTypeId });
      expect(g.maps[idx]!.btfValueTypeId).toBeGreaterThan(0);
    } finally {
      for (const m of gm) m.close();
    }
  });

  test('rewritten instructions (a prologue) no longer fit the BTF records: loaded without, and said so', async () => {
    const p = await program(fixtures, 'calls_globals.o', 'tail_target');
    const shifted = { ...p, insns: [{ code: 0xbf, dst: 0, src: 0, off: 0, imm: 0 }, ...p.insns] };
    const r = progLoad(shifted, { logLevel: 0 });
    if (r.fd !== null) closeFd(r.fd);
    expect(r.btfError).toMatch(/does not match the subprograms .*instructions rewritten/);
    expect(r.withBtf).toBeUndefined();
  });

  test('perf_event_array with max_entries 0 gets one slot per possible CPU when created', async () => {
    const spec = { name: 'events', type: 'perf_event_array' as const, keySize: 4, valueSize: 4, maxEntries: 0, flags: 0 };
    expect(hostMapSpec(spec).maxEntries).toBe(possibleCpus());
    const outer = { name: 'outer', type: 'array_of_maps' as const, keySize: 4, valueSize: 4, maxEntries: 2, flags: 0, inner: spec };
    expect(hostMapSpec(outer).inner!.maxEntries).toBe(possibleCpus());
    const m = mapCreate(spec);
    expect(m.spec.maxEntries).toBe(possibleCpus());
    m.close();
    const o = mapCreate(outer);
    o.close();
  });
});

/**
 * CO-RE relocations against the running kernel's BTF (/sys/kernel/btf/vmlinux), checked three
 * ways on test/fixtures/elf/core_reloc.c (local flavors of kernel types with another layout):
 * the values against the kernel's own types, the relocated programs run by the kernel against
 * the same programs relocated by the kernel itself (BPF_PROG_LOAD core_relos), and by the VM.
 * Skipped, with the reason, when the kernel BTF or bpf() is not available.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { InputError } from '../../src/isa/errors.js';
import type { Program } from '../../src/isa/program.js';
import { kernelAvailable, runInKernel } from '../../src/kernel/index.js';
import { CORE_POISON_IMM, applyCoreRelocations, essentialName, loadKernelBtf, typesCompat } from '../../src/loader/core.js';
import { parseBtf } from '../../src/loader/btf/index.js';
import { BTF_KIND, buildBtf, type BtfRecord } from '../hostile/build.js';
import { loadElf, type ElfObject } from '../../src/loader/elf.js';
import { loadFile, loadFileDetailed } from '../../src/loader/index.js';
import { runProgram } from '../../src/vm/index.js';

const VMLINUX = '/sys/kernel/btf/vmlinux';
const haveBtf = existsSync(VMLINUX);
if (!haveBtf) console.log(`skip CO-RE against the kernel: no ${VMLINUX}`);
const k = kernelAvailable();
if (!k.ok) console.log(`skip CO-RE kernel comparisons: ${k.reason}`);

const fixture = new URL('../fixtures/elf/core_reloc.o', import.meta.url);
const load = (): ElfObject => loadElf(new Uint8Array(readFileSync(fixture)), 'core_reloc.o');
const prog = (o: ElfObject, name: string): Program => o.programs.find((p) => p.name === name)!;
/** The .bss `out[12]` array of core_values after a kernel run. */
const outValues = (r: ReturnType<typeof runInKernel>): bigint[] => {
  const bss = r.maps.find((m) => m.name.endsWith('.bss'))!;
  const v = bss.entries[0]![1];
  return Array.from(new BigUint64Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.length)));
};

describe('CO-RE records', () => {
  test('essential names drop the ___flavor suffix', () => {
    expect(essentialName('task_struct___local')).toBe('task_struct');
    expect(essentialName('task_struct')).toBe('task_struct');
    expect(essentialName('XDP_PASS___x___y')).toBe('XDP_PASS');
  });

  test('the loader keeps the records with the program until something applies them', () => {
    const o = load();
    expect(prog(o, 'core_skb').btf!.coreRelos!.map((r) => [r.pc, r.access])).toEqual([[0, '0:1'], [4, '0:2']]);
    expect(prog(o, 'core_values').btf!.coreRelos).toHaveLength(12);
    expect(o.details[1]!.coreRelos.find((r) => r.kind === 'enumval_value')!.path).toBe('enum xdp_action___local::XDP_PASS___local');
  });
});

describe.skipIf(!haveBtf)('CO-RE against the running kernel', () => {
  const vmlinux = haveBtf ? loadKernelBtf(VMLINUX) : undefined;

  test('field offsets, sizes, existence, type sizes and ids, enum values are the kernel\'s', () => {
    const btf = vmlinux!;
    const o = load();
    const { program, results } = applyCoreRelocations(prog(o, 'core_values'), btf, o.btf);
    const task = btf.find('task_struct', 'struct')[0]!;
    if (task.kind !== 'struct') throw new Error('no struct task_struct');
    const member = (name: string) => task.members.find((m) => m.name === name)!;
    const se = btf.skipMods(member('se').type)!;
    if (se.kind !== 'struct') throw new Error('no struct sched_entity');
    const xdpPass = btf.find('xdp_action', 'enum')[0]!;
    const byPc = new Map(results.map((r) => [r.pc, r]));
    expect(byPc.get(0)!.target).toBe(BigInt(member('pid').bitOffset / 8));
    expect(byPc.get(4)!.target).toBe(BigInt(btf.resolveSize(member('comm').type)!));
    expect(byPc.get(6)).toMatchObject({ kind: 'field_exists', local: 1n, target: 0n, poisoned: false });
    expect(byPc.get(10)!.target).toBe(BigInt(task.size));
    expect(byPc.get(12)!.target).toBe(xdpPass.kind === 'enum' ? xdpPass.values.find((v) => v.name === 'XDP_PASS')!.value : -1n);
    expect(byPc.get(15)!.target).toBe(0n);
    expect(byPc.get(18)!.target).toBe(0n);
    expect(byPc.get(20)!.target).toBe(BigInt((member('se').bitOffset + se.members.find((m) => m.name === 'vruntime')!.bitOffset) / 8));
    expect(byPc.get(22)!.target).toBe(BigInt(task.id));
    expect(byPc.get(27)!.target).toBe(byPc.get(27)!.local);
    expect(program.btf!.coreRelos).toBeUndefined();
    // The instructions carry the values: `r2 = imm` before each store, ld_imm64 for enum values.
    expect(program.insns[0]!.imm).toBe(member('pid').bitOffset / 8);
    expect(program.insns[12]!.imm).toBe(2);
  });

  test('a ctx field read through a local flavor: offset and the VM result follow the kernel layout', () => {
    const o = load();
    const { program, results } = applyCoreRelocations(prog(o, 'core_skb'), vmlinux!, o.btf);
    expect(results.map((r) => [r.kind, r.local, r.target])).toEqual([['field_byte_size', 4n, 4n], ['field_byte_offset', 8n, 0n]]);
    expect(program.insns[4]!.off).toBe(0); // __sk_buff.len
    const packet = new Uint8Array(64);
    expect(runProgram(program, { packet }).r0).toBe(129n);
    expect(runProgram(prog(o, 'core_skb'), { packet }).r0).toBe(1n); // unrelocated: reads `mark`
  });

  test('a relocation with no target is poisoned; the kernel then refuses the path that uses it', () => {
    const o = load();
    const p = prog(o, 'core_skb');
    // Pretend the local root is a type the kernel does not have: point the records at an unknown name.
    const fake = { ...p, btf: { ...p.btf!, coreRelos: p.btf!.coreRelos!.map((r) => ({ ...r, typeId: o.btf!.find('no_such_type___local', 'struct')[0]!.id, access: '0:0' })) } };
    const { program, results } = applyCoreRelocations(fake, vmlinux!, o.btf);
    expect(results.every((r) => r.poisoned)).toBe(true);
    expect(program.insns[0]).toEqual({ code: 0x85, dst: 0, src: 0, off: 0, imm: CORE_POISON_IMM });
    expect(program.insns[4]!.imm).toBe(CORE_POISON_IMM);
    if (k.ok) {
      const r = runInKernel(program, { data: new Uint8Array(64), logLevel: 1 });
      expect(r.load.verdict).toBe('reject');
      expect(r.load.log).toContain('invalid func unknown#195896080');
    }
  });

  test('an instruction that does not hold the compiler\'s value is refused, as libbpf refuses it', () => {
    const o = load();
    const p = prog(o, 'core_skb');
    const insns = p.insns.slice();
    insns[4] = { ...insns[4]!, off: 12 };
    expect(() => applyCoreRelocations({ ...p, insns }, vmlinux!, o.btf)).toThrow(InputError);
    expect(() => applyCoreRelocations({ ...p, insns }, vmlinux!, o.btf)).toThrow(/CO-RE relocation #1 \(field_byte_offset at insn 4, struct __sk_buff___local\.len\): unexpected insn #4/);
  });

  test('loadFile applies CO-RE by default: cilium tcprtt\'s partial struct bpf_sock_ops gets the kernel\'s offsets', async () => {
    const path = new URL('../../../shared/corpus-samples/cilium-examples/tcprtt_sockops_bpf_bpfel.o', import.meta.url);
    const bytes = new Uint8Array(readFileSync(path));
    const plain = await loadFileDetailed('tcprtt.o', bytes, { noCore: true });
    const core = await loadFileDetailed('tcprtt.o', bytes);
    expect(plain.programs[0]!.btf!.coreRelos).toHaveLength(21);
    expect(core.programs[0]!.btf!.coreRelos).toBeUndefined();
    // The object declares only the fields it uses, so e.g. local_port sits at 36 locally.
    const ops = vmlinux!.find('bpf_sock_ops', 'struct')[0]!;
    if (ops.kind !== 'struct') throw new Error('no struct bpf_sock_ops');
    const off = (name: string) => ops.members.find((m) => m.name === name)!.bitOffset / 8;
    const changed = plain.programs[0]!.insns.flatMap((ins, pc) => (ins.off !== core.programs[0]!.insns[pc]!.off ? [[pc, ins.off, core.programs[0]!.insns[pc]!.off]] : []));
    expect(changed).toContainEqual([16, 36, off('local_port')]);
    expect(changed).toContainEqual([18, 32, off('remote_port')]);
    expect(changed).toContainEqual([136, 40, off('srtt_us')]);
    expect(changed).toHaveLength(9);
  });

  describe.skipIf(!k.ok)('the kernel relocating the same records agrees', () => {
    test('core_values: every value in .bss, ours = the kernel\'s own CO-RE; without CO-RE the compiler\'s', () => {
      const o = load();
      const p = prog(o, 'core_values');
      const mine = runInKernel(applyCoreRelocations(p, vmlinux!, o.btf).program, { data: new Uint8Array(64) });
      const kernels = runInKernel(p, { data: new Uint8Array(64) });
      const bare = runInKernel(p, { data: new Uint8Array(64), btf: false });
      expect(mine.load.verdict).toBe('accept');
      expect(kernels.load.verdict).toBe('accept');
      expect(outValues(mine)).toEqual(outValues(kernels));
      expect(outValues(bare)).toEqual([0n, 8n, 1n, 1n, 32n, 41n, 1n, 1n, 16n, BigInt(o.btf!.find('task_struct___local', 'struct')[0]!.id), 1n, BigInt(o.btf!.find('task_struct___local', 'struct')[0]!.id)]);
    });

    test('core_skb: the same return value from our relocation and the kernel\'s', () => {
      const o = load();
      const p = prog(o, 'core_skb');
      const mine = runInKernel(applyCoreRelocations(p, vmlinux!, o.btf).program, { data: new Uint8Array(64) });
      const kernels = runInKernel(p, { data: new Uint8Array(64) });
      expect(mine.run!.retval).toBe(129);
      expect(kernels.run!.retval).toBe(129);
    });
  });
});

describe('hostile BTF in CO-RE matching', () => {
  test('a target of anonymous unions holding four anonymous unions each, 30 deep, is searched once per type', async () => {
    // [1] int; [2] union { int x; }; [k+2] union { [k+1]; [k+1]; [k+1]; [k+1]; } (all anonymous); struct __sk_buff { [32]; }
    const types: BtfRecord[] = [{ kind: BTF_KIND.INT, name: 'int', sizeOrType: 4, extra: [(1 << 24) | 32] }, { kind: BTF_KIND.UNION, vlen: 1, sizeOrType: 4, extra: ['x', 1, 0] }];
    for (let k = 1; k <= 30; k++) types.push({ kind: BTF_KIND.UNION, vlen: 4, sizeOrType: 4, extra: ['', k + 1, 0, '', k + 1, 0, '', k + 1, 0, '', k + 1, 0] });
    types.push({ kind: BTF_KIND.STRUCT, name: '__sk_buff', vlen: 1, sizeOrType: 4, extra: ['', types.length, 0] });
    const dir = mkdtempSync(join(tmpdir(), 'bpflab-core-'));
    try {
      writeFileSync(join(dir, 'bomb.btf'), buildBtf(types));
      const t0 = process.cpuUsage();
      const programs = await loadFile('core_reloc.o', new Uint8Array(readFileSync(fixture)), { btf: join(dir, 'bomb.btf') });
      const t = process.cpuUsage(t0);
      expect((t.user + t.system) / 1000).toBeLessThan(3000);
      // __sk_buff___local.protocol has no match in that target: the relocated instruction is poisoned, as libbpf does
      expect(programs.find((p) => p.name === 'core_skb')!.insns.some((i) => i.code === 0x85 && i.imm === CORE_POISON_IMM)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('func_proto parameters that repeat one pointer-to-func_proto, 16 levels deep, compare in linear time', () => {
    // FP_k = int (*)(P_k, P_k, P_k, P_k) with P_k = FP_{k+1} *; the last has no parameters
    const types: BtfRecord[] = [{ kind: BTF_KIND.INT, name: 'int', sizeOrType: 4, extra: [(1 << 24) | 32] }];
    const levels = 16;
    for (let k = 0; k < levels; k++) {
      const fp = types.length + 1, ptr = fp + 1;
      types.push(k === levels - 1 ? { kind: BTF_KIND.FUNC_PROTO, sizeOrType: 1 } : { kind: BTF_KIND.FUNC_PROTO, vlen: 4, sizeOrType: 1, extra: ['a', ptr, 'b', ptr, 'c', ptr, 'd', ptr] });
      types.push({ kind: BTF_KIND.PTR, sizeOrType: k === levels - 1 ? 1 : fp + 2 });
    }
    const btf = parseBtf(buildBtf(types), 'fp.o');
    const t0 = process.cpuUsage();
    expect(typesCompat(btf, 2, btf, 2)).toBe(true);
    const t = process.cpuUsage(t0);
    expect((t.user + t.system) / 1000).toBeLessThan(1000);
  });
});

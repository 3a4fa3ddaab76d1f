/**
 * Reads of the kernel struct behind a map pointer (check_ptr_to_map_access): the VM's image laid
 * out from the running kernel's BTF, compared field by field with BPF_PROG_TEST_RUN.
 */
import { describe, expect, it } from 'vitest';
import { kernelAvailable, runInKernel } from '../../src/kernel/index.js';
import { RUNNING_KERNEL_BTF, readTargetBtf } from '../../src/loader/target.js';
import type { Btf } from '../../src/loader/btf/index.js';
import { Vm } from '../../src/vm/index.js';
import { prog } from './util.js';

const btf = readTargetBtf(RUNNING_KERNEL_BTF);
if (typeof btf === 'string') console.log(`skip the map struct reads: ${btf}`);
const k = kernelAvailable();
if (!k.ok) console.log(`skip kernel comparisons of map struct reads: ${k.reason}`);

/** [byte offset, size] of a member of a kernel struct. */
function at(b: Btf, struct: string, name: string): [number, number] {
  const t = b.find(struct, 'struct')[0]!;
  if (t.kind !== 'struct') throw new Error(struct);
  const m = t.members.find((x) => x.name === name)!;
  return [m.bitOffset / 8, b.resolveSize(m.type)!];
}

/** Copies the given (offset, size) fields of `target`'s kernel struct into `out`, 8 bytes each. */
function reader(target: string, fields: [number, number][]) {
  const sz = { 8: 'u64', 4: 'u32', 2: 'u16', 1: 'u8' } as Record<number, string>;
  const body = fields.map(([off, size], i) => `r1 = map[${target}]\nr2 = *(${sz[size]} *)(r1 +${off})\n*(u64 *)(r8 +${8 * i}) = r2`).join('\n');
  return prog(`.map arr array key=4 value=48 entries=5
.map h hash key=8 value=12 entries=100
.map out array key=4 value=${8 * fields.length} entries=1
r8 = map_value[out] + 0
${body}
r0 = 0
exit`);
}

const fieldsOf = (b: Uint8Array, n: number): bigint[] => Array.from({ length: n }, (_, i) => new DataView(b.buffer, b.byteOffset).getBigUint64(8 * i, true));

describe.skipIf(typeof btf === 'string')('the struct behind a map pointer', () => {
  const b = btf as Btf;
  const bpfMap = ['map_type', 'key_size', 'value_size', 'max_entries', 'map_flags', 'numa_node'].map((n) => at(b, 'bpf_map', n));
  const ops = at(b, 'bpf_map', 'ops');
  const name = at(b, 'bpf_map', 'name');
  const arrayOnly = [at(b, 'bpf_array', 'elem_size'), at(b, 'bpf_array', 'index_mask')];
  const cases: [string, [number, number][]][] = [
    ['arr', [...bpfMap, [name[0], 8], ...arrayOnly]],
    ['h', [...bpfMap, [name[0], 8]]],
  ];
  const vmRead = (target: string, fields: [number, number][]): bigint[] => {
    const vm = new Vm(reader(target, fields));
    const r = vm.run({ packet: new Uint8Array(64) });
    expect(r.fault ?? r.error).toBeUndefined();
    return fieldsOf(vm.maps[2]!.lookup(new Uint8Array(4))!, fields.length);
  };
  it('holds the map\'s type, sizes, flags, name and a non-null ops pointer', () => {
    const [type, key, value, max] = vmRead('arr', bpfMap);
    expect([type, key, value, max]).toEqual([2n, 4n, 48n, 5n]);
    expect(vmRead('arr', arrayOnly)).toEqual([48n, 7n]);
    expect(vmRead('h', [ops])[0]).not.toBe(0n);
    expect(Buffer.from(new BigUint64Array(vmRead('h', [[name[0], 8]])).buffer).toString('latin1').replace(/\0+$/, '')).toBe('h');
  });
  it.skipIf(!k.ok)('equals the kernel\'s fields', () => {
    for (const [target, fields] of cases) {
      const kr = runInKernel(reader(target, fields), { data: new Uint8Array(64) });
      expect(kr.load.verdict, kr.load.log).toBe('accept');
      const kernel = fieldsOf(kr.maps.find((m) => m.name === 'out')!.entries[0]![1], fields.length);
      expect(vmRead(target, fields), target).toEqual(kernel);
    }
  });
});

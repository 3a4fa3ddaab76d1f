/**
 * The kernel object behind a map pointer: programs may read it (check_ptr_to_map_access), e.g.
 * map->max_entries through a CO-RE'd `struct bpf_map`. Each map type's ops name the struct in
 * map_btf_id (struct bpf_array for arrays, bpf_htab for hashes, ...), whose first member is the
 * `struct bpf_map`. The image is laid out from the target kernel's BTF: the bpf_map members a
 * program can learn from user space (ops as an opaque non-null kernel pointer, map_type,
 * key_size, value_size, max_entries, map_flags, numa_node, name) and, for arrays, elem_size and
 * index_mask; every other byte (locks, lists, counters) reads as zero.
 */
import type { Btf } from '../../loader/btf/index.js';
import { MAP_TYPES, type MapType } from '../../isa/program.js';
import type { BpfMap } from './types.js';

/** The struct each map type's ops declare in map_btf_id (kernel/bpf/*.c BTF_ID_LIST_SINGLE). */
export const MAP_BTF_STRUCT: Partial<Record<MapType, string>> = {
  array: 'bpf_array', percpu_array: 'bpf_array', prog_array: 'bpf_array', perf_event_array: 'bpf_array',
  cgroup_array: 'bpf_array', array_of_maps: 'bpf_array',
  hash: 'bpf_htab', percpu_hash: 'bpf_htab', lru_hash: 'bpf_htab', lru_percpu_hash: 'bpf_htab', hash_of_maps: 'bpf_htab',
  ringbuf: 'bpf_ringbuf_map', user_ringbuf: 'bpf_ringbuf_map',
  lpm_trie: 'lpm_trie', stack_trace: 'bpf_stack_map', queue: 'bpf_queue_stack', stack: 'bpf_queue_stack',
  devmap: 'bpf_dtab', devmap_hash: 'bpf_dtab', cpumap: 'bpf_cpu_map', xskmap: 'xsk_map',
  sockmap: 'bpf_stab', sockhash: 'bpf_shtab', reuseport_sockarray: 'reuseport_array',
  sk_storage: 'bpf_local_storage_map', inode_storage: 'bpf_local_storage_map', task_storage: 'bpf_local_storage_map',
  cgrp_storage: 'bpf_local_storage_map', bloom_filter: 'bpf_bloom_filter', struct_ops: 'bpf_struct_ops_map',
  arena: 'bpf_arena', cgroup_storage: 'bpf_cgroup_storage_map', percpu_cgroup_storage: 'bpf_cgroup_storage_map',
};

/**
 * Where each map type's `struct bpf_map_ops` lives, as the VM reports it: kernel read-only data
 * (one ops table per type), so the pointer is non-null and distinct per type, never a region.
 */
const OPS_BASE = 0xffff_ffff_8220_0000n;
/** NUMA_NO_NODE: maps created without BPF_F_NUMA_NODE. */
const NUMA_NO_NODE = -1;
/** BPF_OBJ_NAME_LEN */
const NAME_LEN = 16;

const images = new WeakMap<BpfMap, Uint8Array>();

/** Byte offset and size of a struct's member by name (first level only). */
function member(btf: Btf, structId: number, name: string): { off: number; size: number } | undefined {
  const t = btf.skipMods(structId);
  if (!t || (t.kind !== 'struct' && t.kind !== 'union')) return undefined;
  const m = t.members.find((x) => x.name === name && x.bitfieldSize === 0);
  if (!m || m.bitOffset % 8 !== 0) return undefined;
  const size = btf.resolveSize(m.type);
  return size === undefined ? undefined : { off: m.bitOffset / 8, size };
}

const roundUpPow2 = (n: number): number => { let p = 1; while (p < n) p *= 2; return p; };

/**
 * The bytes a program reads through `map`'s pointer, laid out from `btf`; undefined when the
 * kernel has no struct for the map type or lacks `struct bpf_map`.
 */
export function mapKernelImage(map: BpfMap, btf: Btf): Uint8Array | undefined {
  const have = images.get(map);
  if (have) return have;
  const outer = MAP_BTF_STRUCT[map.spec.type];
  const t = outer ? btf.find(outer, 'struct')[0] : undefined;
  const inner = btf.find('bpf_map', 'struct')[0];
  if (!t || t.kind !== 'struct' || !inner) return undefined;
  const mapAt = member(btf, t.id, 'map')?.off ?? 0;
  const img = new Uint8Array(t.size);
  const v = new DataView(img.buffer);
  const put = (struct: number, base: number, name: string, value: bigint): void => {
    const m = member(btf, struct, name);
    if (!m) return;
    if (m.size === 8) v.setBigUint64(base + m.off, BigInt.asUintN(64, value), true);
    else if (m.size === 4) v.setUint32(base + m.off, Number(BigInt.asUintN(32, value)), true);
  };
  const s = map.spec;
  const type = MAP_TYPES[s.type];
  put(inner.id, mapAt, 'ops', OPS_BASE + BigInt(type) * 0x100n);
  put(inner.id, mapAt, 'map_type', BigInt(type));
  put(inner.id, mapAt, 'key_size', BigInt(s.keySize));
  put(inner.id, mapAt, 'value_size', BigInt(s.valueSize));
  put(inner.id, mapAt, 'max_entries', BigInt(s.maxEntries));
  put(inner.id, mapAt, 'map_flags', BigInt(s.flags));
  put(inner.id, mapAt, 'numa_node', BigInt(NUMA_NO_NODE));
  const name = member(btf, inner.id, 'name');
  if (name) img.set(Uint8Array.from(s.name.slice(0, NAME_LEN - 1), (c) => c.charCodeAt(0) & 0xff), mapAt + name.off);
  if (outer === 'bpf_array') {
    // array_map_alloc: elem_size = round_up(value_size, 8); index_mask = roundup_pow_of_two(max_entries) - 1
    put(t.id, 0, 'elem_size', BigInt(Math.ceil(s.valueSize / 8) * 8));
    put(t.id, 0, 'index_mask', BigInt(roundUpPow2(s.maxEntries) - 1));
  }
  images.set(map, img);
  return img;
}

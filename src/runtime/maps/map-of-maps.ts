/**
 * BPF_MAP_TYPE_ARRAY_OF_MAPS and HASH_OF_MAPS (kernel/bpf/map_in_map.c): values are inner maps
 * that must match the template (spec.inner) in type, key size, value size, flags and (unless
 * the template has BPF_F_INNER_MAP) max_entries. User space writes an inner map's id as the
 * u32 value ("map fd") and reads back its id; a program's lookup yields the inner map itself.
 */
import type { MapSpec } from '../../isa/program.js';
import { checkKey, checkValue, fail, mapById, MapBase, u32At, u32Bytes } from './base.js';
import { ERRNO } from './errno.js';
import { FdArray } from './fd-array.js';
import { BPF_F_INNER_MAP } from './flags.js';
import { OrderedTable } from './table.js';
import { BPF_ANY, BPF_EXIST, BPF_NOEXIST, type BpfMap, type MapOfMaps } from './types.js';

/** bpf_map_meta_equal: may `m` be stored in a map whose template is `t`? */
export function innerCompatible(t: MapSpec, m: MapSpec): boolean {
  return (
    t.type === m.type &&
    t.keySize === m.keySize &&
    t.valueSize === m.valueSize &&
    t.flags === m.flags &&
    (t.flags & BPF_F_INNER_MAP ? true : t.maxEntries === m.maxEntries)
  );
}

function resolveInner(outer: MapSpec, id: number): BpfMap {
  const m = mapById(id);
  if (!m) fail('EBADF', `map ${outer.name}: no map with id ${id}`);
  checkInner(outer, m);
  return m;
}

function checkInner(outer: MapSpec, m: BpfMap): void {
  if (!outer.inner || !innerCompatible(outer.inner, m.spec))
    fail('EINVAL', `map ${outer.name}: inner map ${m.spec.name} does not match the template`);
}

export class ArrayOfMaps extends FdArray<BpfMap> implements MapOfMaps {
  protected resolve(id: number): BpfMap {
    return resolveInner(this.spec, id);
  }
  protected lookupSlot(index: number): Uint8Array {
    const s = this.slotAt(index);
    if (!s) fail('ENOENT', `${this.label()}: slot ${index} is empty`);
    return u32Bytes(s.ref.id);
  }
  lookupInner(key: Uint8Array): BpfMap | null {
    const i = u32At(key);
    return i < this.spec.maxEntries ? (this.slotAt(i)?.ref ?? null) : null;
  }
  setInner(key: Uint8Array, map: BpfMap, flags = 0): void {
    const i = this.index(key);
    if (flags !== BPF_ANY) fail('EINVAL', `${this.label()}: only BPF_ANY updates are allowed`);
    checkInner(this.spec, map);
    this.setSlot(i, map, map.id);
  }
}

export class HashOfMaps extends MapBase implements MapOfMaps {
  private readonly table: OrderedTable<BpfMap>;
  constructor(spec: MapSpec) {
    super(spec, 1);
    this.table = new OrderedTable<BpfMap>(spec.keySize);
  }
  lookupInner(key: Uint8Array): BpfMap | null {
    return this.table.get(key)?.data ?? null;
  }
  setInner(key: Uint8Array, map: BpfMap, flags = 0): void {
    checkKey(this.spec, key);
    checkInner(this.spec, map);
    this.put(key, map, flags);
  }
  private put(key: Uint8Array, map: BpfMap, flags: number): void {
    if (flags > BPF_EXIST) fail('EINVAL', `${this.label()}: bad update flags ${flags}`);
    const old = this.table.get(key);
    if (old) {
      if (flags & BPF_NOEXIST) fail('EEXIST', `${this.label()}: key exists`);
      old.data = map;
      return;
    }
    if (flags & BPF_EXIST) fail('ENOENT', `${this.label()}: no such key`);
    if (this.table.size >= this.spec.maxEntries) fail('E2BIG', `${this.label()}: map is full`);
    this.table.insert(key, map);
  }
  lookup(key: Uint8Array): Uint8Array {
    checkKey(this.spec, key);
    const e = this.table.get(key);
    if (!e) fail('ENOENT', `${this.label()}: no such key`);
    return u32Bytes(e.data.id);
  }
  update(key: Uint8Array, value: Uint8Array, flags = 0): void {
    checkKey(this.spec, key);
    checkValue(this.spec, value);
    this.put(key, resolveInner(this.spec, u32At(value)), flags);
  }
  delete(key: Uint8Array): void {
    checkKey(this.spec, key);
    const e = this.table.get(key);
    if (!e) fail('ENOENT', `${this.label()}: no such key`);
    this.table.remove(e);
  }
  nextKey(key: Uint8Array | null): Uint8Array | undefined {
    if (key) checkKey(this.spec, key);
    return this.table.after(key)?.key.slice();
  }
  count(): number {
    return this.table.size;
  }
  override deleteFromProgram(key: Uint8Array): number {
    const e = this.table.get(key);
    if (!e) return -ERRNO.ENOENT;
    this.table.remove(e);
    return 0;
  }
}

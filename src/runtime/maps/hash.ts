/**
 * BPF_MAP_TYPE_HASH, PERCPU_HASH and DEVMAP_HASH's storage (kernel/bpf/hashtab.c); the LRU
 * hashes are lru-hash.ts.
 *
 * - A full hash map refuses new keys with E2BIG; replacing an existing key always works.
 * - Values are updated in place, so a pointer a program got from lookup stays live.
 */
import type { MapSpec } from '../../isa/program.js';
import {
  MapBase,
  checkKey,
  checkPercpuValue,
  checkUpdateFlags,
  checkValue,
  fail,
  round8,
  throwIfError,
  userValue,
  valueSlots,
  writeUserValue,
} from './base.js';
import { ERRNO } from './errno.js';
import { MemoryBudget } from './budget.js';
import { OrderedTable, type TableEntry } from './table.js';
import { BPF_EXIST, BPF_NOEXIST } from './types.js';

/** One element's per-CPU value views (one view for non-per-CPU maps), backed by one 8-aligned buffer. */
type Slots = Uint8Array[];

/** Roughly what bpflab spends per element beyond key and value (table entry, index, views). */
const ELEMENT_OVERHEAD = 160;

export class HashMap extends MapBase {
  private readonly percpu: boolean;
  private readonly table: OrderedTable<Slots>;

  /** Bytes one element takes (key, values, bookkeeping), charged to the budget on insert. */
  private readonly elementBytes: number;

  constructor(spec: MapSpec, cpus: number, private readonly budget: MemoryBudget = new MemoryBudget()) {
    const percpu = spec.type === 'percpu_hash';
    super(spec, percpu ? cpus : 1);
    this.percpu = percpu;
    this.table = new OrderedTable<Slots>(spec.keySize);
    this.elementBytes = round8(spec.keySize) + round8(spec.valueSize) * this.cpus + ELEMENT_OVERHEAD;
  }

  private newSlots(): Slots {
    if (!this.budget.tryCharge(this.elementBytes)) this.budget.charge(this.elementBytes, `${this.label()}: element ${this.table.size + 1}`);
    return valueSlots(this.spec.valueSize, this.cpus);
  }

  private drop(e: TableEntry<Slots>): void {
    this.table.remove(e);
    this.budget.release(this.elementBytes);
  }

  /**
   * The common update path: find or create the element, honouring flags and capacity.
   * Returns the element or a negative errno; `fresh` tells whether it was just created.
   */
  private upsert(key: Uint8Array, flags: number): { e: TableEntry<Slots>; fresh: boolean } | number {
    const f = checkUpdateFlags(flags);
    if (f < 0) return f;
    const old = this.table.get(key);
    if (old) {
      if (flags & BPF_NOEXIST) return -ERRNO.EEXIST;
      return { e: old, fresh: false };
    }
    if (flags & BPF_EXIST) return -ERRNO.ENOENT;
    if (this.table.size >= this.spec.maxEntries) return -ERRNO.E2BIG;
    return { e: this.table.insert(key, this.newSlots()), fresh: true };
  }

  lookup(key: Uint8Array): Uint8Array {
    checkKey(this.spec, key);
    const e = this.table.get(key);
    if (!e) fail('ENOENT', `${this.label()}: no such key`);
    return userValue(e.data, this.percpu, this.spec.valueSize);
  }

  update(key: Uint8Array, value: Uint8Array, flags = 0): void {
    checkKey(this.spec, key);
    if (this.percpu) checkPercpuValue(this.spec, this.cpus, value);
    else checkValue(this.spec, value);
    const r = this.upsert(key, flags);
    if (typeof r === 'number') return throwIfError(r, `${this.label()}: update`);
    writeUserValue(this.spec, r.e.data, this.percpu, value);
  }

  delete(key: Uint8Array): void {
    checkKey(this.spec, key);
    const e = this.table.get(key);
    if (!e) fail('ENOENT', `${this.label()}: no such key`);
    this.drop(e);
  }

  nextKey(key: Uint8Array | null): Uint8Array | undefined {
    if (key) checkKey(this.spec, key);
    return this.table.after(key)?.key.slice();
  }

  count(): number {
    return this.table.size;
  }

  override lookupRef(key: Uint8Array, cpu: number): Uint8Array | null {
    const e = this.table.get(key);
    if (!e) return null;
    if (!this.percpu) return e.data[0]!;
    this.checkCpu(cpu);
    return e.data[cpu]!;
  }

  override updateFromProgram(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): number {
    if (this.percpu) this.checkCpu(cpu);
    const r = this.upsert(key, flags);
    if (typeof r === 'number') return r;
    // A program writes only its own CPU's value; a new element starts zeroed on the other CPUs.
    r.e.data[this.percpu ? cpu : 0]!.set(value.subarray(0, this.spec.valueSize));
    return 0;
  }

  override deleteFromProgram(key: Uint8Array): number {
    const e = this.table.get(key);
    if (!e) return -ERRNO.ENOENT;
    this.drop(e);
    return 0;
  }
}

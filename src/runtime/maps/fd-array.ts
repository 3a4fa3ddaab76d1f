/**
 * The kernel's "fd arrays" (prog_array, perf_event_array, array_of_maps): u32 index -> object
 * reference, set from user space with a file descriptor (here: an id resolved by the subclass).
 * Only BPF_ANY updates; an index past max_entries is E2BIG; deleting an empty slot is ENOENT.
 */
import type { MapSpec } from '../../isa/program.js';
import { MapBase, checkKey, checkValue, fail, u32At, u32Bytes } from './base.js';
import { BPF_ANY } from './types.js';

export interface FdSlot<T> {
  ref: T;
  id: number;
}

export abstract class FdArray<T> extends MapBase {
  /** The slots set so far (sparse: a prog_array may have 2^32-1 entries and hold three programs). */
  protected readonly set = new Map<number, FdSlot<T> | null>();

  constructor(spec: MapSpec) {
    super(spec, 1);
  }

  /** What a slot never written holds (perf_event_array starts attached everywhere). */
  protected initialSlot(_index: number): FdSlot<T> | null {
    return null;
  }

  /** The slot at `index` (null when empty; the caller checks the index against max_entries). */
  protected slotAt(index: number): FdSlot<T> | null {
    const s = this.set.get(index);
    return s !== undefined ? s : this.initialSlot(index);
  }

  /** The indices holding an object, ascending. */
  usedIndices(): number[] {
    const out: number[] = [];
    for (const [i, s] of this.set) if (s) out.push(i);
    return out.sort((a, b) => a - b);
  }

  /** The object a user-space "fd" (u32 value) stands for, or a thrown MapError. */
  protected abstract resolve(id: number): T;
  /** What user-space lookup answers (ENOTSUPP for perf_event_array, the object's id otherwise). */
  protected abstract lookupSlot(index: number): Uint8Array;

  protected index(key: Uint8Array): number {
    checkKey(this.spec, key);
    return u32At(key);
  }

  /** Sets slot `index` directly (runtime API); throws E2BIG past max_entries. */
  protected setSlot(index: number, ref: T | null, id: number): void {
    if (index >= this.spec.maxEntries) fail('E2BIG', `${this.label()}: index ${index} >= max_entries ${this.spec.maxEntries}`);
    this.set.set(index, ref === null ? null : { ref, id });
  }

  lookup(key: Uint8Array): Uint8Array {
    const i = this.index(key);
    if (i >= this.spec.maxEntries) fail('ENOENT', `${this.label()}: index ${i} >= max_entries`);
    return this.lookupSlot(i);
  }

  update(key: Uint8Array, value: Uint8Array, flags = 0): void {
    const i = this.index(key);
    checkValue(this.spec, value);
    if (flags !== BPF_ANY) fail('EINVAL', `${this.label()}: only BPF_ANY updates are allowed`);
    if (i >= this.spec.maxEntries) fail('E2BIG', `${this.label()}: index ${i} >= max_entries ${this.spec.maxEntries}`);
    const id = u32At(value);
    this.set.set(i, { ref: this.resolve(id), id });
  }

  delete(key: Uint8Array): void {
    const i = this.index(key);
    if (i >= this.spec.maxEntries) fail('E2BIG', `${this.label()}: index ${i} >= max_entries ${this.spec.maxEntries}`);
    if (!this.slotAt(i)) fail('ENOENT', `${this.label()}: slot ${i} is empty`);
    this.set.set(i, null);
  }

  nextKey(key: Uint8Array | null): Uint8Array | undefined {
    const i = key ? this.index(key) : -1;
    if (i < 0 || i >= this.spec.maxEntries) return u32Bytes(0);
    if (i === this.spec.maxEntries - 1) return undefined;
    return u32Bytes(i + 1);
  }

  count(): number {
    return this.usedIndices().length;
  }
}

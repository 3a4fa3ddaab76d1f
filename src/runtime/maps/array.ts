/**
 * BPF_MAP_TYPE_ARRAY and BPF_MAP_TYPE_PERCPU_ARRAY (kernel/bpf/arraymap.c): max_entries
 * preallocated, zero-initialised values indexed by a u32 key; elements always exist, so delete
 * is EINVAL and BPF_NOEXIST is EEXIST.
 */
import type { MapSpec } from '../../isa/program.js';
import {
  MapBase,
  checkKey,
  checkPercpuValue,
  checkUpdateFlags,
  checkValue,
  fail,
  nextIndexKey,
  packPercpu,
  percpuSlice,
  round8,
  throwIfError,
  u32At,
} from './base.js';
import { ERRNO } from './errno.js';
import { BPF_NOEXIST } from './types.js';
import { MemoryBudget } from './budget.js';
import { zeroedBytes } from './zeroed.js';

/** Bytes of values allocated at once: elements are materialised a chunk at a time, on first use. */
const CHUNK_BYTES = 1 << 16;

export class ArrayMap extends MapBase {
  private readonly percpu: boolean;
  private readonly stride: number;
  /** log2 of the elements per chunk, and the mask of an index within its chunk. */
  private readonly shift: number;
  private readonly mask: number;
  /**
   * chunks[c][(index & mask) * cpus + cpu]: the live value of one element on one CPU, for the
   * chunks touched so far (a chunk is one zeroed buffer; reads of untouched ones see zeros).
   * An element's view is made when the element is first used: most runs touch a few elements.
   */
  private readonly chunks: (Uint8Array[] | undefined)[] = [];
  /** The zeroed buffer of each chunk touched so far. */
  private readonly stores: (Uint8Array | undefined)[] = [];
  private readonly budget: MemoryBudget;

  constructor(spec: MapSpec, cpus: number, budget: MemoryBudget = new MemoryBudget()) {
    const percpu = spec.type === 'percpu_array';
    super(spec, percpu ? cpus : 1);
    this.percpu = percpu;
    this.budget = budget;
    this.stride = round8(spec.valueSize);
    const perElement = this.stride * this.cpus;
    let shift = 0;
    while (shift < 16 && (perElement << (shift + 1)) <= CHUNK_BYTES) shift++;
    this.shift = shift;
    this.mask = (1 << shift) - 1;
    if (spec.initial) this.slot(0, 0).set(spec.initial.subarray(0, spec.valueSize));
  }

  /** The views of chunk `c`, allocated (and charged to the budget) on first use. */
  private chunk(c: number): Uint8Array[] {
    const have = this.chunks[c];
    if (have) return have;
    const first = c << this.shift;
    const n = Math.min(this.mask + 1, this.spec.maxEntries - first);
    const bytes = n * this.stride * this.cpus;
    if (!this.budget.tryCharge(bytes)) this.budget.charge(bytes, `${this.label()}: elements ${first}..${first + n - 1}`);
    this.stores[c] = zeroedBytes(bytes);
    const views = new Array<Uint8Array>(n * this.cpus);
    this.chunks[c] = views;
    return views;
  }

  /** The view of element slot `k` of chunk `c` (one view per slot, made on first use: maps hand out stable views). */
  private view(c: number, k: number): Uint8Array {
    const at = k * this.stride;
    return (this.chunks[c]![k] = this.stores[c]!.subarray(at, at + this.spec.valueSize));
  }

  private slot(index: number, cpu: number): Uint8Array {
    const c = index >>> this.shift;
    const k = (index & this.mask) * this.cpus + cpu;
    return (this.chunks[c] ?? this.chunk(c))[k] ?? this.view(c, k);
  }

  lookup(key: Uint8Array): Uint8Array {
    checkKey(this.spec, key);
    const i = u32At(key);
    if (i >= this.spec.maxEntries) fail('ENOENT', `${this.label()}: index ${i} >= max_entries ${this.spec.maxEntries}`);
    // An element never touched reads as zeros without being allocated (dumps walk every index).
    const untouched = this.chunks[i >>> this.shift] === undefined;
    if (!this.percpu) return untouched ? new Uint8Array(this.spec.valueSize) : this.slot(i, 0).slice();
    const slots: Uint8Array[] = [];
    for (let c = 0; c < this.cpus; c++) slots.push(untouched ? new Uint8Array(this.spec.valueSize) : this.slot(i, c));
    return packPercpu(slots, this.spec.valueSize);
  }

  update(key: Uint8Array, value: Uint8Array, flags = 0): void {
    checkKey(this.spec, key);
    if (this.percpu) checkPercpuValue(this.spec, this.cpus, value);
    else checkValue(this.spec, value);
    const i = u32At(key);
    const err = this.checkUpdate(i, flags);
    throwIfError(err, `${this.label()}: update index ${i}`);
    for (let c = 0; c < this.cpus; c++) this.slot(i, c).set(this.percpu ? percpuSlice(this.spec, this.cpus, value, c) : value);
  }

  private checkUpdate(i: number, flags: number): number {
    const f = checkUpdateFlags(flags);
    if (f < 0) return f;
    if (i >= this.spec.maxEntries) return -ERRNO.E2BIG;
    if (flags & BPF_NOEXIST) return -ERRNO.EEXIST;
    return 0;
  }

  delete(key: Uint8Array): void {
    checkKey(this.spec, key);
    fail('EINVAL', `${this.label()}: array elements cannot be deleted`);
  }

  nextKey(key: Uint8Array | null): Uint8Array | undefined {
    return nextIndexKey(this.spec, key);
  }

  count(): number {
    return this.spec.maxEntries;
  }

  override lookupRef(key: Uint8Array, cpu: number): Uint8Array | null {
    const i = u32At(key);
    if (i >= this.spec.maxEntries) return null;
    if (!this.percpu) return this.slot(i, 0);
    this.checkCpu(cpu);
    return this.slot(i, cpu);
  }

  override updateFromProgram(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): number {
    const i = u32At(key);
    const err = this.checkUpdate(i, flags);
    if (err < 0) return err;
    if (this.percpu) this.checkCpu(cpu);
    this.slot(i, this.percpu ? cpu : 0).set(value.subarray(0, this.spec.valueSize));
    return 0;
  }

  override deleteFromProgram(): number {
    return -ERRNO.EINVAL;
  }
}

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

/** Largest backing store modelled (the kernel would try to vmalloc it; here it is memory in this process). */
const MAX_ARRAY_BYTES = 1 << 30;

export class ArrayMap extends MapBase {
  private readonly percpu: boolean;
  private readonly stride: number;
  private readonly store: Uint8Array;
  /** views[index * cpus + cpu]: the live value of one element on one CPU. */
  private readonly views: Uint8Array[];

  constructor(spec: MapSpec, cpus: number) {
    const percpu = spec.type === 'percpu_array';
    super(spec, percpu ? cpus : 1);
    this.percpu = percpu;
    this.stride = round8(spec.valueSize);
    const total = this.stride * spec.maxEntries * this.cpus;
    if (total > MAX_ARRAY_BYTES) fail('ENOMEM', `${this.label()}: ${total} bytes of values is more than bpflab models`);
    this.store = new Uint8Array(total);
    this.views = new Array<Uint8Array>(spec.maxEntries * this.cpus);
    for (let i = 0; i < this.views.length; i++) this.views[i] = this.store.subarray(i * this.stride, i * this.stride + spec.valueSize);
    if (spec.initial) this.store.set(spec.initial.subarray(0, spec.valueSize));
  }

  private slot(index: number, cpu: number): Uint8Array {
    return this.views[index * this.cpus + cpu]!;
  }

  lookup(key: Uint8Array): Uint8Array {
    checkKey(this.spec, key);
    const i = u32At(key);
    if (i >= this.spec.maxEntries) fail('ENOENT', `${this.label()}: index ${i} >= max_entries ${this.spec.maxEntries}`);
    if (!this.percpu) return this.slot(i, 0).slice();
    const slots: Uint8Array[] = [];
    for (let c = 0; c < this.cpus; c++) slots.push(this.slot(i, c));
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
    if (!this.percpu) return this.views[i]!;
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

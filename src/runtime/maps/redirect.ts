/**
 * Redirect targets for bpf_redirect_map: BPF_MAP_TYPE_DEVMAP (u32 -> { ifindex[, prog fd] }),
 * CPUMAP (u32 cpu -> { qsize[, prog fd] }) and XSKMAP (u32 -> AF_XDP socket fd), all arrays of
 * optional entries (kernel/bpf/devmap.c, cpumap.c, net/xdp/xskmap.c). DEVMAP_HASH is a HashMap.
 *
 * bpflab has no network devices, CPUs or sockets behind the values: any non-zero ifindex / qsize /
 * fd is accepted (the kernel checks that the device, CPU or socket exists: ENODEV / EBADF).
 * A zero ifindex (devmap) or qsize (cpumap) clears the entry, as in the kernel.
 */
import type { MapSpec } from '../../isa/program.js';
import { MapBase, checkKey, checkValue, fail, nextIndexKey, u32At } from './base.js';
import { BPF_EXIST, BPF_NOEXIST } from './types.js';
import { MemoryBudget } from './budget.js';

/** cpumap's largest queue size. */
const CPUMAP_MAX_QSIZE = 16384;

export class RedirectArray extends MapBase {
  /** The entries present (sparse: a devmap may have 2^31 slots and hold two devices). */
  private readonly slots = new Map<number, Uint8Array>();

  constructor(spec: MapSpec, private readonly budget: MemoryBudget = new MemoryBudget()) {
    super(spec, 1);
  }

  lookup(key: Uint8Array): Uint8Array {
    checkKey(this.spec, key);
    const v = this.slots.get(u32At(key));
    if (!v) fail('ENOENT', `${this.label()}: no entry at ${u32At(key)}`);
    return v.slice();
  }

  update(key: Uint8Array, value: Uint8Array, flags = 0): void {
    checkKey(this.spec, key);
    checkValue(this.spec, value);
    const i = u32At(key);
    if (flags > BPF_EXIST) fail('EINVAL', `${this.label()}: bad update flags ${flags}`);
    if (i >= this.spec.maxEntries) fail('E2BIG', `${this.label()}: index ${i} >= max_entries ${this.spec.maxEntries}`);
    if (flags === BPF_NOEXIST) fail('EEXIST', `${this.label()}: BPF_NOEXIST on an array-like map`);
    const first = u32At(value);
    if (this.spec.type === 'cpumap' && first > CPUMAP_MAX_QSIZE) fail('EOVERFLOW', `${this.label()}: qsize ${first} > ${CPUMAP_MAX_QSIZE}`);
    const clears = this.spec.type !== 'xskmap' && first === 0;
    if (clears) { if (this.slots.delete(i)) this.budget.release(this.spec.valueSize); return; }
    if (!this.slots.has(i) && !this.budget.tryCharge(this.spec.valueSize)) this.budget.charge(this.spec.valueSize, `${this.label()}: entry ${i}`);
    this.slots.set(i, value.slice());
  }

  delete(key: Uint8Array): void {
    checkKey(this.spec, key);
    const i = u32At(key);
    if (i >= this.spec.maxEntries) fail('EINVAL', `${this.label()}: index ${i} >= max_entries ${this.spec.maxEntries}`);
    if (this.spec.type === 'xskmap' && !this.slots.has(i)) fail('ENOENT', `${this.label()}: no entry at ${i}`);
    if (this.slots.delete(i)) this.budget.release(this.spec.valueSize);
  }

  nextKey(key: Uint8Array | null): Uint8Array | undefined {
    return nextIndexKey(this.spec, key);
  }

  count(): number {
    return this.slots.size;
  }

  /** What bpf_redirect_map (and, for devmap/xskmap, a program lookup) sees: the entry or null. */
  override lookupRef(key: Uint8Array, _cpu: number): Uint8Array | null {
    return this.slots.get(u32At(key)) ?? null;
  }
}

/**
 * BPF_MAP_TYPE_QUEUE (FIFO) and BPF_MAP_TYPE_STACK (LIFO) (kernel/bpf/queue_stack_maps.c).
 * No keys (key_size 0). From user space: update = push, lookup = peek, lookup-and-delete = pop;
 * delete and get-next-key are EINVAL. A full map refuses pushes with E2BIG unless BPF_EXIST,
 * which overwrites the oldest element (for both queue and stack).
 */
import type { MapSpec } from '../../isa/program.js';
import { MapBase, checkValue, fail, throwIfError } from './base.js';
import { ERRNO } from './errno.js';
import { BPF_EXIST, BPF_NOEXIST, type QueueStackMap } from './types.js';
import { MemoryBudget } from './budget.js';

export class QueueStack extends MapBase implements QueueStackMap {
  private readonly lifo: boolean;
  /**
   * Circular buffer: `items[(head + i) % items.length]` for i < length, oldest first. It starts
   * small and doubles when full, up to max_entries: memory follows what was pushed, not the
   * declared size (a queue may declare 2^32-1 entries).
   */
  private items: Uint8Array[] = [];
  private head = 0;
  private length = 0;

  constructor(spec: MapSpec, private readonly budget: MemoryBudget = new MemoryBudget()) {
    super(spec, 1);
    this.lifo = spec.type === 'stack';
  }

  /** Room for one more element (the caller checked length < max_entries). */
  private grow(): void {
    if (this.length < this.items.length) return;
    const cap = Math.min(this.spec.maxEntries, Math.max(4, this.items.length * 2));
    const bytes = (cap - this.items.length) * this.spec.valueSize;
    if (!this.budget.tryCharge(bytes)) this.budget.charge(bytes, `${this.label()}: ${cap} elements`);
    const next: Uint8Array[] = [];
    for (let i = 0; i < this.length; i++) next.push(this.items[(this.head + i) % this.items.length]!);
    for (let i = this.length; i < cap; i++) next.push(new Uint8Array(this.spec.valueSize));
    this.items = next;
    this.head = 0;
  }

  pushFromProgram(value: Uint8Array, flags: number): number {
    if (flags & BPF_NOEXIST || flags > BPF_EXIST) return -ERRNO.EINVAL;
    const max = this.spec.maxEntries;
    if (this.length === max) {
      if (!(flags & BPF_EXIST)) return -ERRNO.E2BIG;
      // Overwrite the oldest element.
      this.head = (this.head + 1) % this.items.length;
      this.length--;
    }
    this.grow();
    this.items[(this.head + this.length) % this.items.length]!.set(value.subarray(0, this.spec.valueSize));
    this.length++;
    return 0;
  }

  private index(): number {
    // queue: the oldest; stack: the newest
    return this.lifo ? (this.head + this.length - 1) % this.items.length : this.head;
  }

  peekFromProgram(out: Uint8Array): number {
    if (this.length === 0) return -ERRNO.ENOENT;
    out.set(this.items[this.index()]!.subarray(0, Math.min(out.length, this.spec.valueSize)));
    return 0;
  }

  popFromProgram(out: Uint8Array): number {
    const r = this.peekFromProgram(out);
    if (r < 0) return r;
    if (!this.lifo) this.head = (this.head + 1) % this.items.length;
    this.length--;
    return 0;
  }

  lookup(_key: Uint8Array): Uint8Array {
    const out = new Uint8Array(this.spec.valueSize);
    throwIfError(this.peekFromProgram(out), `${this.label()}: peek`);
    return out;
  }

  lookupAndDelete(): Uint8Array {
    const out = new Uint8Array(this.spec.valueSize);
    throwIfError(this.popFromProgram(out), `${this.label()}: pop`);
    return out;
  }

  update(_key: Uint8Array, value: Uint8Array, flags = 0): void {
    checkValue(this.spec, value);
    throwIfError(this.pushFromProgram(value, flags), `${this.label()}: push`);
  }

  delete(_key: Uint8Array): void {
    fail('EINVAL', `${this.label()}: delete is not supported (use pop)`);
  }

  nextKey(_key: Uint8Array | null): Uint8Array | undefined {
    fail('EINVAL', `${this.label()}: has no keys to iterate`);
  }

  count(): number {
    return this.length;
  }
}

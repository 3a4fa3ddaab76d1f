/**
 * BPF_MAP_TYPE_PERF_EVENT_ARRAY: bpf_perf_event_output writes a record into the perf buffer at
 * an index (normally the CPU). bpflab starts with a reader attached at every index, as libbpf's
 * perf_buffer__new does; user-space delete() detaches one (output there gives -ENOENT) and
 * update() with any u32 attaches it again. User-space lookup is ENOTSUPP, as in the kernel.
 */
import type { MapSpec } from '../../isa/program.js';
import { fail } from './base.js';
import { ERRNO } from './errno.js';
import { FdArray, type FdSlot } from './fd-array.js';
import { BPF_F_CURRENT_CPU } from './flags.js';
import type { PerfEventArrayMap, PerfRecord } from './types.js';

const ATTACHED = true;

export class PerfEventArray extends FdArray<boolean> implements PerfEventArrayMap {
  private records: PerfRecord[] = [];

  constructor(spec: MapSpec) {
    super(spec);
  }

  /** Readers attached: every index but the ones detached with delete(). */
  override count(): number {
    let detached = 0;
    for (const s of this.set.values()) if (!s) detached++;
    return this.spec.maxEntries - detached;
  }

  /** Every index starts with a reader attached. */
  protected override initialSlot(index: number): FdSlot<boolean> {
    return { ref: ATTACHED, id: index };
  }

  protected resolve(_id: number): boolean {
    return ATTACHED;
  }

  protected lookupSlot(_index: number): Uint8Array {
    fail('ENOTSUPP', `${this.label()}: lookup is not supported`);
  }

  /** The kernel refuses before looking at the index. */
  override lookup(key: Uint8Array): Uint8Array {
    this.index(key);
    return this.lookupSlot(0);
  }

  outputFromProgram(index: number, cpu: number, data: Uint8Array): number {
    const i = index >>> 0 === BPF_F_CURRENT_CPU ? cpu : index >>> 0;
    if (i >= this.spec.maxEntries) return -ERRNO.E2BIG;
    if (!this.slotAt(i)) return -ERRNO.ENOENT;
    this.records.push({ index: i, data: data.slice() });
    return 0;
  }

  consume(): PerfRecord[] {
    const out = this.records;
    this.records = [];
    return out;
  }
}

/**
 * BPF_MAP_TYPE_PROG_ARRAY: tail-call targets. The runtime stores program references with
 * setProgram(); user space stores "program fds" through `programResolver`. A user-space lookup
 * returns the program's id (the kernel returns its prog id).
 */
import { fail, u32Bytes } from './base.js';
import { FdArray } from './fd-array.js';
import type { ProgArrayMap } from './types.js';

let nextProgId = 1;

export class ProgArray extends FdArray<unknown> implements ProgArrayMap {
  programResolver: ((id: number) => unknown) | null = null;

  protected resolve(id: number): unknown {
    const p = this.programResolver?.(id);
    if (p === undefined || p === null) fail('EBADF', `${this.label()}: no program with id ${id}`);
    return p;
  }

  protected lookupSlot(index: number): Uint8Array {
    const s = this.slotAt(index);
    if (!s) fail('ENOENT', `${this.label()}: slot ${index} is empty`);
    return u32Bytes(s.id);
  }

  setProgram(index: number, prog: unknown): void {
    this.setSlot(index, prog === undefined ? null : prog, nextProgId++);
  }

  getProgram(index: number): unknown {
    return index >= 0 && index < this.spec.maxEntries ? this.slotAt(index)?.ref : undefined;
  }
}

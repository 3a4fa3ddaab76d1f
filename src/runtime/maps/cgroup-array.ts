/**
 * BPF_MAP_TYPE_CGROUP_ARRAY: u32 index -> cgroup, read by bpf_current_task_under_cgroup and
 * bpf_skb_under_cgroup. User space stores cgroup (v2) fds; bpflab has no cgroup fds, so the
 * stored u32 is resolved by `cgroupResolver` (default: the u32 IS the cgroup id). A user-space
 * lookup is ENOTSUPP, as the kernel's (no map_fd_sys_lookup_elem for this type).
 */
import { fail } from './base.js';
import { FdArray } from './fd-array.js';
import type { CgroupArrayMap } from './types.js';

export class CgroupArray extends FdArray<bigint> implements CgroupArrayMap {
  cgroupResolver: ((fd: number) => bigint | undefined) | null = null;

  protected resolve(fd: number): bigint {
    const id = this.cgroupResolver ? this.cgroupResolver(fd) : BigInt(fd);
    if (id === undefined) fail('EBADF', `${this.label()}: no cgroup for fd ${fd}`);
    return id;
  }

  protected lookupSlot(_index: number): Uint8Array {
    return fail('ENOTSUPP', `${this.label()}: cgroup_array elements cannot be looked up from user space`);
  }

  setCgroup(index: number, id: bigint | null): void {
    this.setSlot(index, id, id === null ? 0 : Number(BigInt.asUintN(32, id)));
  }

  getCgroup(index: number): bigint | undefined {
    return index >= 0 && index < this.spec.maxEntries ? this.slotAt(index)?.ref : undefined;
  }
}

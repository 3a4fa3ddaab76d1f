/**
 * BPF_MAP_TYPE_SK_STORAGE (net/core/bpf_sk_storage.c, kernel/bpf/bpf_local_storage.c): one value
 * per socket, kept with the socket, created by bpf_sk_storage_get(..., F_CREATE) and removed by
 * bpf_sk_storage_delete. User space addresses an element by a socket fd; the VM's sockets have
 * no fds, so every user-space element operation answers EBADF (sockfd_lookup failing), and
 * get_next_key is not supported at all, as in the kernel.
 */
import type { MapSpec } from '../../isa/program.js';
import type { MemoryBudget } from './budget.js';
import { MapBase, fail } from './base.js';
import { ERRNO } from './errno.js';

/** BPF_SK_STORAGE_GET_F_CREATE */
export const BPF_SK_STORAGE_GET_F_CREATE = 1;

export class SkStorageMap extends MapBase {
  /** Values by socket object (any object standing for one socket). */
  private readonly values = new Map<object, Uint8Array>();

  constructor(spec: MapSpec, private readonly budget: MemoryBudget) {
    super(spec, 1);
  }

  private noFd(): never {
    return fail('EBADF', `${this.label()}: user space names elements by socket fd, and the VM's sockets have none`);
  }
  lookup(_key: Uint8Array): Uint8Array { return this.noFd(); }
  update(_key: Uint8Array, _value: Uint8Array, _flags?: number): void { this.noFd(); }
  delete(_key: Uint8Array): void { this.noFd(); }
  nextKey(_key: Uint8Array | null): Uint8Array | undefined {
    return fail('ENOTSUPP', `${this.label()}: get_next_key is not supported`);
  }
  count(): number { return this.values.size; }

  /**
   * bpf_sk_storage_get's core: the socket's value (a live view), created zeroed or from `init`
   * when `create` is set and there is none; null otherwise.
   */
  storage(socket: object, init: Uint8Array | null, create: boolean): Uint8Array | null {
    const have = this.values.get(socket);
    if (have || !create) return have ?? null;
    if (!this.budget.tryCharge(this.spec.valueSize)) this.budget.charge(this.spec.valueSize, this.label());
    const v = new Uint8Array(this.spec.valueSize);
    if (init) v.set(init.subarray(0, this.spec.valueSize));
    this.values.set(socket, v);
    return v;
  }

  /** bpf_sk_storage_del: 0, or -ENOENT when the socket has no value. */
  remove(socket: object): number {
    if (!this.values.delete(socket)) return -ERRNO.ENOENT;
    this.budget.release(this.spec.valueSize);
    return 0;
  }
}

/**
 * The map interface shared by user space (CLI --map, tests), the helpers the VM and JIT call,
 * and the kernel comparison tests. Keys and values are bytes in memory order, as with bpf().
 */
import type { MapSpec } from '../../isa/program.js';

/** Update flags, as the kernel's BPF_ANY / BPF_NOEXIST / BPF_EXIST (BPF_F_LOCK is 4). */
export const BPF_ANY = 0;
export const BPF_NOEXIST = 1;
export const BPF_EXIST = 2;
export const BPF_F_LOCK = 4;

/** A failed map operation, with the errno the kernel would return (ENOENT, EEXIST, E2BIG, EINVAL, ...). */
export class MapError extends Error {
  readonly errno: string;
  constructor(errno: string, message: string) {
    super(message);
    this.name = 'MapError';
    this.errno = errno;
  }
}

export interface BpfMap {
  readonly spec: MapSpec;
  /** Number of possible CPUs this map models for per-CPU types (1 otherwise). */
  readonly cpus: number;

  // ---- user-space API (bpf() syscall semantics) ----
  /**
   * BPF_MAP_LOOKUP_ELEM from user space: a copy of the value; for per-CPU maps, every CPU's
   * value, each padded to a multiple of 8 bytes, concatenated. Throws MapError('ENOENT').
   */
  lookup(key: Uint8Array): Uint8Array;
  /** BPF_MAP_UPDATE_ELEM with flags (BPF_ANY / BPF_NOEXIST / BPF_EXIST). Throws MapError. */
  update(key: Uint8Array, value: Uint8Array, flags?: number): void;
  /** BPF_MAP_DELETE_ELEM. Throws MapError('ENOENT'), or EINVAL for arrays. */
  delete(key: Uint8Array): void;
  /** BPF_MAP_GET_NEXT_KEY: the key after `key` (or the first key when null); undefined at the end. */
  nextKey(key: Uint8Array | null): Uint8Array | undefined;
}

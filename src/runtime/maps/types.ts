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

  /** A unique id, like the kernel's map id (user-space lookups in map-in-map types return it). */
  readonly id: number;
  /** Number of elements present (array types: max_entries). */
  count(): number;

  // ---- program-side API (what the helpers in the VM and JIT call) ----
  /**
   * bpf_map_lookup_elem from a program: the LIVE value storage (valueSize bytes, 8-aligned within
   * its buffer) that the program reads and writes in place, or null when there is no element.
   * Stable while the element exists (arrays: for the map's lifetime). Per-CPU maps: `cpu`'s slot.
   * Also serves ld_imm64 src=2 (direct value access): lookupRef(u32 0) on an array map.
   * Map types a program cannot look up this way (ringbuf, perf_event_array, prog_array, queue,
   * stack, map-in-map) return null: use their family methods.
   */
  lookupRef(key: Uint8Array, cpu: number): Uint8Array | null;
  /** bpf_map_update_elem from a program: 0 or a negative errno (-EEXIST, -ENOENT, -E2BIG, -EINVAL, ...). */
  updateFromProgram(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): number;
  /** bpf_map_delete_elem from a program: 0 or a negative errno. */
  deleteFromProgram(key: Uint8Array, cpu: number): number;
}

/** queue and stack maps (no keys): bpf_map_push/pop/peek_elem. */
export interface QueueStackMap extends BpfMap {
  /** bpf_map_push_elem: 0, -E2BIG when full (unless BPF_EXIST: overwrite the oldest), -EINVAL for bad flags. */
  pushFromProgram(value: Uint8Array, flags: number): number;
  /** bpf_map_pop_elem into `out` (valueSize bytes): 0 or -ENOENT when empty. */
  popFromProgram(out: Uint8Array): number;
  /** bpf_map_peek_elem into `out`: 0 or -ENOENT when empty. */
  peekFromProgram(out: Uint8Array): number;
  /** BPF_MAP_LOOKUP_AND_DELETE_ELEM from user space (pop). Throws MapError('ENOENT'). */
  lookupAndDelete(): Uint8Array;
}

/** A reserved ring buffer record: `data` is its live storage, `handle` names it for submit/discard. */
export interface RingBufRecord {
  handle: number;
  data: Uint8Array;
}

/** BPF_MAP_TYPE_RINGBUF. */
export interface RingBufMap extends BpfMap {
  /** bpf_ringbuf_reserve: a record of `size` bytes, or null (no space, bad flags, too large). */
  reserve(size: number, flags: number): RingBufRecord | null;
  /** bpf_ringbuf_submit: commit a reserved record. */
  submit(handle: number, flags: number): void;
  /** bpf_ringbuf_discard: drop a reserved record (the consumer skips it). */
  discard(handle: number, flags: number): void;
  /** bpf_ringbuf_output: copy `data` in as one record; 0, -EAGAIN (no space) or -EINVAL (flags). */
  output(data: Uint8Array, flags: number): number;
  /** bpf_ringbuf_query: BPF_RB_AVAIL_DATA / RING_SIZE / CONS_POS / PROD_POS; 0 for unknown selectors. */
  query(flag: number): bigint;
  /** User-space consumer: the committed records in order (discarded ones skipped), advancing the consumer position. */
  consume(): Uint8Array[];
}

/** One bpf_perf_event_output record as a perf buffer reader sees it. */
export interface PerfRecord {
  /** The map index (normally the CPU) the record was written to. */
  index: number;
  data: Uint8Array;
}

/** BPF_MAP_TYPE_PERF_EVENT_ARRAY. Every index starts with a reader attached (as libbpf's perf_buffer does). */
export interface PerfEventArrayMap extends BpfMap {
  /**
   * bpf_perf_event_output: `index` is flags & BPF_F_INDEX_MASK (BPF_F_CURRENT_CPU = current cpu).
   * 0, -E2BIG (index out of range) or -ENOENT (no reader at that index).
   */
  outputFromProgram(index: number, cpu: number, data: Uint8Array): number;
  /** User-space reader: every record so far, in order, and clears them. */
  consume(): PerfRecord[];
}

/** BPF_MAP_TYPE_PROG_ARRAY: program references for bpf_tail_call, opaque to the map. */
export interface ProgArrayMap extends BpfMap {
  setProgram(index: number, prog: unknown): void;
  /** The program at `index`, undefined when empty or out of range (bpf_tail_call falls through). */
  getProgram(index: number): unknown;
  /** The indices holding a program, ascending (the map may be sparse: up to 2^32-1 slots). */
  usedIndices(): number[];
  /** Resolves the u32 written by user-space update() (a "program fd") to a program; undefined = EBADF. */
  programResolver: ((id: number) => unknown) | null;
}

/** BPF_MAP_TYPE_CGROUP_ARRAY: cgroup ids by index (bpf_current_task_under_cgroup, bpf_skb_under_cgroup). */
export interface CgroupArrayMap extends BpfMap {
  /** Stores cgroup `id` at `index` (null clears); throws E2BIG past max_entries. */
  setCgroup(index: number, id: bigint | null): void;
  /** The cgroup id at `index`, undefined when empty or out of range. */
  getCgroup(index: number): bigint | undefined;
  /** Resolves the u32 written by user-space update() (a "cgroup fd") to a cgroup id; undefined = EBADF. Default: the u32 is the id. */
  cgroupResolver: ((fd: number) => bigint | undefined) | null;
}

/** BPF_MAP_TYPE_ARRAY_OF_MAPS / HASH_OF_MAPS. */
export interface MapOfMaps extends BpfMap {
  /** What bpf_map_lookup_elem returns in a program: the inner map, or null. */
  lookupInner(key: Uint8Array): BpfMap | null;
  /** User-space update with a map object (checked against spec.inner as the kernel does). Throws MapError. */
  setInner(key: Uint8Array, map: BpfMap, flags?: number): void;
}

/** BPF_MAP_TYPE_STACK_TRACE. */
export interface StackTraceMap extends BpfMap {
  /**
   * bpf_get_stackid: stores the stack `ips` (innermost first; BPF_F_SKIP_FIELD_MASK frames skipped)
   * and returns its id, or -EEXIST (bucket holds another stack, no BPF_F_REUSE_STACKID),
   * -EFAULT (empty stack) or -EINVAL (bad flags).
   */
  getStackId(ips: readonly bigint[], flags: number): number;
}

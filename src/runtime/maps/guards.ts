/** Type guards from a BpfMap to its family's extra API (by spec.type, as the kernel's map ops). */
import type { SkStorageMap } from './sk-storage.js';
import type { BpfMap, CgroupArrayMap, MapOfMaps, PerfEventArrayMap, ProgArrayMap, QueueStackMap, RingBufMap, StackTraceMap } from './types.js';

export const isQueueStackMap = (m: BpfMap): m is QueueStackMap => m.spec.type === 'queue' || m.spec.type === 'stack';
export const isRingBufMap = (m: BpfMap): m is RingBufMap => m.spec.type === 'ringbuf';
export const isPerfEventArray = (m: BpfMap): m is PerfEventArrayMap => m.spec.type === 'perf_event_array';
export const isProgArray = (m: BpfMap): m is ProgArrayMap => m.spec.type === 'prog_array';
export const isMapOfMaps = (m: BpfMap): m is MapOfMaps => m.spec.type === 'array_of_maps' || m.spec.type === 'hash_of_maps';
export const isCgroupArray = (m: BpfMap): m is CgroupArrayMap => m.spec.type === 'cgroup_array';
export const isSkStorageMap = (m: BpfMap): m is SkStorageMap => m.spec.type === 'sk_storage';
export const isStackTraceMap = (m: BpfMap): m is StackTraceMap => m.spec.type === 'stack_trace';
/** Per-CPU value types (user-space values are cpus x round8(value_size)). */
export const isPercpuMap = (m: BpfMap): boolean =>
  m.spec.type === 'percpu_array' || m.spec.type === 'percpu_hash' || m.spec.type === 'lru_percpu_hash';

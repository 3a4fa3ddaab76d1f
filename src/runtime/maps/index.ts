/** Maps with the kernel's semantics: user-space API (bpf() commands) and program-side API (helpers). */
export * from './types.js';
export * from './flags.js';
export { ERRNO, errnoNameOf, type ErrnoName } from './errno.js';
export { createMap, validateMapSpec, type CreateMapOptions } from './create.js';
export { mapById } from './base.js';
export * from './guards.js';
export { ArrayMap } from './array.js';
export { HashMap } from './hash.js';
export { LpmTrie } from './lpm-trie.js';
export { QueueStack } from './queue-stack.js';
export { RingBuf } from './ringbuf.js';
export { PerfEventArray } from './perf-event-array.js';
export { CgroupArray } from './cgroup-array.js';
export { ProgArray } from './prog-array.js';
export { ArrayOfMaps, HashOfMaps, innerCompatible } from './map-of-maps.js';
export { StackTrace } from './stack-trace.js';
export { SkStorageMap, BPF_SK_STORAGE_GET_F_CREATE } from './sk-storage.js';
export { RedirectArray } from './redirect.js';

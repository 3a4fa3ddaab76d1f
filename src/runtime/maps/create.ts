/**
 * createMap: validates a MapSpec as BPF_MAP_CREATE does (same errno for the same mistake,
 * checked in the kernel's order) and builds the map object for its type.
 */
import { totalmem } from 'node:os';
import type { MapSpec } from '../../isa/program.js';
import { MemoryBudget } from './budget.js';
import { ArrayMap } from './array.js';
import { CgroupArray } from './cgroup-array.js';
import { fail } from './base.js';
import type { ErrnoName } from './errno.js';
import {
  BPF_F_ACCESS_MASK,
  BPF_F_CLONE,
  BPF_F_INNER_MAP,
  BPF_F_MMAPABLE,
  BPF_F_NO_COMMON_LRU,
  BPF_F_NO_PREALLOC,
  BPF_F_NUMA_NODE,
  BPF_F_PRESERVE_ELEMS,
  BPF_F_RDONLY,
  BPF_F_RDONLY_PROG,
  BPF_F_STACK_BUILD_ID,
  BPF_F_WRONLY,
  BPF_F_WRONLY_PROG,
  BPF_F_ZERO_SEED,
} from './flags.js';
import { HashMap } from './hash.js';
import { LruHashMap } from './lru-hash.js';
import { LpmTrie } from './lpm-trie.js';
import { ArrayOfMaps, HashOfMaps } from './map-of-maps.js';
import { PerfEventArray } from './perf-event-array.js';
import { ProgArray } from './prog-array.js';
import { QueueStack } from './queue-stack.js';
import { RedirectArray } from './redirect.js';
import { RingBuf } from './ringbuf.js';
import { SkStorageMap } from './sk-storage.js';
import { StackTrace } from './stack-trace.js';
import type { BpfMap } from './types.js';

export interface CreateMapOptions {
  /** Number of CPUs per-CPU maps model (default 1). */
  cpus?: number;
  /**
   * Possible CPUs of the machine modelled, which size the LRU maps' per-CPU lists and so decide
   * when they evict (default `cpus`). The kernel oracle passes the host's to match its kernel.
   */
  possibleCpus?: number;
  /** What the map may allocate (shared by the maps of one run; default: a fresh DEFAULT_MAP_MEMORY budget). */
  budget?: MemoryBudget;
  /**
   * Bytes of RAM of the machine modelled: the kernel refuses (ENOMEM) a map whose preallocated
   * storage exceeds it (vmalloc's check against totalram_pages). Default: this host's.
   */
  totalRam?: number;
}

/** KMALLOC_MAX_SIZE on x86_64 (4 KiB pages, MAX_PAGE_ORDER 10). */
const KMALLOC_MAX_SIZE = 1 << 22;
/** PCPU_MIN_UNIT_SIZE: the largest per-CPU value. */
const PCPU_MIN_UNIT_SIZE = 32 << 10;
const INT_MAX = 0x7fffffff;
const PAGE_SIZE = 4096;
/** sizeof(struct htab_elem) on x86_64. */
const HTAB_ELEM_SIZE = 48;
/** sysctl kernel.perf_event_max_stack default. */
const PERF_MAX_STACK = 127;
/** sizeof(struct bpf_stack_build_id) */
const BUILD_ID_SIZE = 32;
/** RINGBUF_MAX_DATA_SZ: 2^24 pages minus the metadata pages. */
const RINGBUF_MAX_DATA_SZ = ((1 << 24) - 2 - 1) * PAGE_SIZE;
const LPM_DATA_SIZE_MAX = 256;
const LPM_NODE_SIZE = 40;
/** NR_CPUS of the kernel build modelled (Linux 6.18 here: cpumap refuses more entries with E2BIG). */
const NR_CPUS = 256;
/** sizeof(struct bucket) of the hash table (hlist_nulls_head + lock). */
const HTAB_BUCKET_SIZE = 16;
const U32_MAX = 0xffffffff;

const ARRAY_FLAGS = BPF_F_NUMA_NODE | BPF_F_MMAPABLE | BPF_F_ACCESS_MASK | BPF_F_PRESERVE_ELEMS | BPF_F_INNER_MAP;
const HTAB_FLAGS = BPF_F_NO_PREALLOC | BPF_F_NO_COMMON_LRU | BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK | BPF_F_ZERO_SEED;
const QUEUE_STACK_FLAGS = BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK;
const LPM_FLAGS = BPF_F_NO_PREALLOC | BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK;
const STACK_FLAGS = BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK | BPF_F_STACK_BUILD_ID;
const RINGBUF_FLAGS = BPF_F_NUMA_NODE;

type Problem = [ErrnoName, string] | null;

/** bpf_map_flags_access_ok: a map cannot be both read-only and write-only for programs. */
function accessOk(flags: number): boolean {
  return (flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) !== (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG);
}

function pow2ceil(n: number): number {
  if (n <= 1) return 1;
  // an integer up to 2^31: from its bit length (Math.log2 and ** cost more than the map's creation)
  if (n <= 0x80000000 && Number.isInteger(n)) return 2 ** (32 - Math.clz32(n - 1));
  return 2 ** Math.ceil(Math.log2(n));
}

function isPow2(n: number): boolean {
  return n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

function checkArray(s: MapSpec): Problem {
  const percpu = s.type === 'percpu_array';
  if (s.maxEntries === 0) return ['EINVAL', 'max_entries must be > 0'];
  if (s.keySize !== 4) return ['EINVAL', `invalid key size ${s.keySize} for ${s.type} map (must be 4)`];
  if (s.valueSize === 0) return ['EINVAL', `invalid value size 0 for ${s.type} map`];
  if (s.flags & ~ARRAY_FLAGS || !accessOk(s.flags)) return ['EINVAL', `invalid flags 0x${s.flags.toString(16)} for ${s.type} map`];
  if (percpu && s.flags & BPF_F_NUMA_NODE) return ['EINVAL', 'BPF_F_NUMA_NODE is not allowed for percpu_array'];
  if (s.type !== 'array' && s.flags & (BPF_F_MMAPABLE | BPF_F_INNER_MAP))
    return ['EINVAL', `BPF_F_MMAPABLE / BPF_F_INNER_MAP are only for array maps`];
  if (s.type !== 'perf_event_array' && s.flags & BPF_F_PRESERVE_ELEMS)
    return ['EINVAL', 'BPF_F_PRESERVE_ELEMS is only for perf_event_array maps'];
  if (s.valueSize > INT_MAX) return ['E2BIG', `value size ${s.valueSize} too large`];
  if (percpu && ((s.valueSize + 7) & ~7) > PCPU_MIN_UNIT_SIZE)
    return ['E2BIG', `per-CPU value size ${s.valueSize} exceeds ${PCPU_MIN_UNIT_SIZE}`];
  return null;
}

function checkFdArray(s: MapSpec): Problem {
  if (s.valueSize !== 4) return ['EINVAL', `invalid value size ${s.valueSize} for ${s.type} map (must be 4)`];
  if (s.flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) return ['EINVAL', `BPF_F_RDONLY_PROG / BPF_F_WRONLY_PROG not allowed for ${s.type}`];
  return checkArray(s);
}

function checkHash(s: MapSpec): Problem {
  const percpu = s.type === 'percpu_hash' || s.type === 'lru_percpu_hash';
  const lru = s.type === 'lru_hash' || s.type === 'lru_percpu_hash';
  const percpuLru = (s.flags & BPF_F_NO_COMMON_LRU) !== 0;
  const prealloc = (s.flags & BPF_F_NO_PREALLOC) === 0;
  if (s.flags & ~HTAB_FLAGS || !accessOk(s.flags)) return ['EINVAL', `invalid flags 0x${s.flags.toString(16)} for ${s.type} map`];
  if (!lru && percpuLru) return ['EINVAL', 'BPF_F_NO_COMMON_LRU is only for LRU maps'];
  if (lru && !prealloc) return ['ENOTSUPP', 'LRU maps cannot use BPF_F_NO_PREALLOC'];
  if (s.flags & BPF_F_NUMA_NODE && (percpu || percpuLru)) return ['EINVAL', 'BPF_F_NUMA_NODE is not allowed for per-CPU maps'];
  if (s.maxEntries === 0) return ['EINVAL', 'max_entries must be > 0'];
  if (s.keySize === 0) return ['EINVAL', `invalid key size 0 for ${s.type} map`];
  if (s.valueSize === 0) return ['EINVAL', `invalid value size 0 for ${s.type} map`];
  if (s.keySize + s.valueSize >= KMALLOC_MAX_SIZE - HTAB_ELEM_SIZE) return ['E2BIG', `key + value size ${s.keySize + s.valueSize} too large`];
  // htab_map_alloc: the bucket array (n_buckets = roundup_pow_of_two(max_entries)) must fit in a u32 size.
  if (s.maxEntries > 2 ** 31 || pow2ceil(s.maxEntries) > Math.floor(U32_MAX / HTAB_BUCKET_SIZE))
    return ['E2BIG', `max_entries ${s.maxEntries} too large (${pow2ceil(s.maxEntries)} buckets)`];
  if (percpu && ((s.valueSize + 7) & ~7) > PCPU_MIN_UNIT_SIZE) return ['E2BIG', `per-CPU value size ${s.valueSize} exceeds ${PCPU_MIN_UNIT_SIZE}`];
  return null;
}

function checkQueueStack(s: MapSpec): Problem {
  if (s.maxEntries === 0) return ['EINVAL', 'max_entries must be > 0'];
  if (s.keySize !== 0) return ['EINVAL', `invalid key size ${s.keySize} for ${s.type} map (must be 0)`];
  if (s.valueSize === 0) return ['EINVAL', `invalid value size 0 for ${s.type} map`];
  if (s.flags & ~QUEUE_STACK_FLAGS || !accessOk(s.flags)) return ['EINVAL', `invalid flags 0x${s.flags.toString(16)} for ${s.type} map`];
  if (s.valueSize > KMALLOC_MAX_SIZE) return ['E2BIG', `value size ${s.valueSize} too large`];
  return null;
}

function checkRingbuf(s: MapSpec): Problem {
  if (s.flags & ~RINGBUF_FLAGS) return ['EINVAL', `invalid flags 0x${s.flags.toString(16)} for ringbuf map`];
  if (s.keySize !== 0 || s.valueSize !== 0) return ['EINVAL', 'ringbuf maps need key size 0 and value size 0'];
  if (!isPow2(s.maxEntries) || s.maxEntries % PAGE_SIZE !== 0)
    return ['EINVAL', `ringbuf size ${s.maxEntries} must be a power of 2 and a multiple of the page size (${PAGE_SIZE})`];
  if (s.maxEntries > RINGBUF_MAX_DATA_SZ) return ['E2BIG', `ringbuf size ${s.maxEntries} too large`];
  return null;
}

function checkLpm(s: MapSpec): Problem {
  if (s.maxEntries === 0) return ['EINVAL', 'max_entries must be > 0'];
  if (!(s.flags & BPF_F_NO_PREALLOC)) return ['EINVAL', 'lpm_trie maps require BPF_F_NO_PREALLOC'];
  if (s.flags & ~LPM_FLAGS || !accessOk(s.flags)) return ['EINVAL', `invalid flags 0x${s.flags.toString(16)} for lpm_trie map`];
  if (s.keySize < 4 + 1 || s.keySize > 4 + LPM_DATA_SIZE_MAX)
    return ['EINVAL', `invalid key size ${s.keySize} for lpm_trie map (4-byte prefixlen + 1..${LPM_DATA_SIZE_MAX} data bytes)`];
  if (s.valueSize < 1 || s.valueSize > KMALLOC_MAX_SIZE - LPM_DATA_SIZE_MAX - LPM_NODE_SIZE)
    return ['EINVAL', `invalid value size ${s.valueSize} for lpm_trie map`];
  return null;
}

function checkStackTrace(s: MapSpec): Problem {
  if (s.flags & ~STACK_FLAGS) return ['EINVAL', `invalid flags 0x${s.flags.toString(16)} for stack_trace map`];
  if (s.maxEntries === 0 || s.keySize !== 4 || s.valueSize < 8 || s.valueSize % 8 !== 0)
    return ['EINVAL', 'stack_trace maps need key size 4, value size a multiple of 8, max_entries > 0'];
  if (s.flags & BPF_F_STACK_BUILD_ID) {
    if (s.valueSize % BUILD_ID_SIZE !== 0 || s.valueSize / BUILD_ID_SIZE > PERF_MAX_STACK)
      return ['EINVAL', `invalid value size ${s.valueSize} for a build-id stack_trace map`];
  } else if (s.valueSize / 8 > PERF_MAX_STACK) return ['EINVAL', `stack depth ${s.valueSize / 8} exceeds perf_event_max_stack ${PERF_MAX_STACK}`];
  if (s.maxEntries > 2 ** 31) return ['E2BIG', `max_entries ${s.maxEntries} too large`];
  return null;
}

/** BPF_LOCAL_STORAGE_MAX_VALUE_SIZE: U16_MAX - sizeof(struct bpf_local_storage_elem) (128 in 6.18). */
const LOCAL_STORAGE_MAX_VALUE_SIZE = 0xffff - 128;

/**
 * bpf_local_storage_map_alloc_check: BPF_F_NO_PREALLOC required (BPF_F_CLONE allowed), no
 * max_entries, an int key (a socket fd). The kernel also demands BTF key and value types; the
 * VM's maps carry no BTF (the kernel engine describes such maps with a BTF of their sizes).
 */
function checkLocalStorage(s: MapSpec): Problem {
  if (s.flags & ~(BPF_F_NO_PREALLOC | BPF_F_CLONE) || !(s.flags & BPF_F_NO_PREALLOC) || s.maxEntries !== 0 || s.keySize !== 4 || s.valueSize === 0)
    return ['EINVAL', `${s.type} maps need BPF_F_NO_PREALLOC, max_entries 0, key size 4 and a value size`];
  if (s.valueSize > LOCAL_STORAGE_MAX_VALUE_SIZE) return ['E2BIG', `value size ${s.valueSize} exceeds ${LOCAL_STORAGE_MAX_VALUE_SIZE}`];
  return null;
}

const DEV_FLAGS = BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK;

/** devmap / devmap_hash (dev_map_alloc_check), cpumap (cpu_map_alloc), xskmap (xsk_map_alloc). */
function checkRedirect(s: MapSpec): Problem {
  const what = `${s.type} map`;
  if (s.type === 'xskmap') {
    if (s.maxEntries === 0 || s.keySize !== 4 || s.valueSize !== 4 || s.flags & ~DEV_FLAGS)
      return ['EINVAL', `${what} needs key size 4, value size 4, max_entries > 0`];
    return null;
  }
  const flags = s.type === 'cpumap' ? BPF_F_NUMA_NODE : DEV_FLAGS;
  if (s.maxEntries === 0 || s.keySize !== 4 || (s.valueSize !== 4 && s.valueSize !== 8) || s.flags & ~flags)
    return ['EINVAL', `${what} needs key size 4, value size 4 or 8, max_entries > 0, flags 0x${s.flags.toString(16)} invalid`];
  if (s.type === 'cpumap' && s.maxEntries > NR_CPUS) return ['E2BIG', `cpumap max_entries ${s.maxEntries} exceeds NR_CPUS (${NR_CPUS})`];
  // dev_map_init_map: roundup_pow_of_two of more than 2^31 buckets is 0
  if (s.type === 'devmap_hash' && s.maxEntries > 2 ** 31) return ['EINVAL', `devmap_hash max_entries ${s.maxEntries} too large`];
  return null;
}

function checkInnerTemplate(s: MapSpec): Problem {
  if (!s.inner) return ['EBADF', `${s.type} map ${s.name} needs an inner map template`];
  if (s.inner.type === 'array_of_maps' || s.inner.type === 'hash_of_maps') return ['EINVAL', 'map-in-map nesting deeper than one level'];
  // bpf_map_meta_alloc: the inner map type must have map_meta_equal (prog_array has none)
  if (s.inner.type === 'prog_array') return ['ENOTSUPP', 'prog_array cannot be an inner map'];
  return null;
}

const isU32 = (x: number): boolean => x >= 0 && x <= 0xffffffff;

/** The kernel's verdict on a map spec: null when BPF_MAP_CREATE would succeed. */
export function validateMapSpec(s: MapSpec): Problem {
  if (!Number.isInteger(s.keySize) || !Number.isInteger(s.valueSize) || !Number.isInteger(s.maxEntries) || !Number.isInteger(s.flags))
    return ['EINVAL', 'key size, value size, max_entries and flags must be integers'];
  // (four comparisons, not an array and a closure: every map a fuzz run creates is validated)
  if (!isU32(s.keySize) || !isU32(s.valueSize) || !isU32(s.maxEntries) || !isU32(s.flags))
    return ['EINVAL', 'key size, value size, max_entries and flags must be u32'];
  // bpf_get_file_flag: read-only and write-only together
  if ((s.flags & (BPF_F_RDONLY | BPF_F_WRONLY)) === (BPF_F_RDONLY | BPF_F_WRONLY))
    return ['EINVAL', 'BPF_F_RDONLY and BPF_F_WRONLY together'];
  switch (s.type) {
    case 'array':
    case 'percpu_array':
      return checkArray(s);
    case 'prog_array':
    case 'perf_event_array':
    case 'cgroup_array':
      return checkFdArray(s);
    case 'array_of_maps':
      return checkFdArray(s) ?? checkInnerTemplate(s);
    case 'hash':
    case 'percpu_hash':
    case 'lru_hash':
    case 'lru_percpu_hash':
      return checkHash(s);
    case 'hash_of_maps':
      return (s.valueSize !== 4 ? (['EINVAL', `invalid value size ${s.valueSize} for hash_of_maps (must be 4)`] as Problem) : null) ?? checkHash(s) ?? checkInnerTemplate(s);
    case 'queue':
    case 'stack':
      return checkQueueStack(s);
    case 'ringbuf':
      return checkRingbuf(s);
    case 'lpm_trie':
      return checkLpm(s);
    case 'stack_trace':
      return checkStackTrace(s);
    case 'devmap':
    case 'devmap_hash':
    case 'cpumap':
    case 'xskmap':
      return checkRedirect(s);
    case 'sk_storage':
      return checkLocalStorage(s);
    case 'unspec':
      return ['EINVAL', 'map type unspec'];
    default:
      return ['ENOTSUPP', `map type ${s.type} is not modelled by bpflab`];
  }
}

/**
 * Bytes the kernel allocates up front for `spec` with `cpus` possible CPUs (the one large
 * bpf_map_area_alloc of each map type), or 0 when it allocates on demand. Root has
 * bypass_spec_v1, so arrays are not rounded up to a power of two.
 */
export function kernelPreallocBytes(s: MapSpec, cpus: number): number {
  const n = s.maxEntries;
  switch (s.type) {
    case 'array':
      return n * round8(s.valueSize);
    case 'percpu_array':
      return n * (8 + round8(s.valueSize) * cpus);
    case 'prog_array': case 'perf_event_array': case 'cgroup_array': case 'array_of_maps':
      return n * 8;
    case 'queue': case 'stack':
      return (n + 1) * s.valueSize;
    case 'devmap': case 'xskmap':
      return n * 8;
    case 'hash': case 'percpu_hash': case 'lru_hash': case 'lru_percpu_hash': {
      const buckets = pow2ceil(n) * HTAB_BUCKET_SIZE;
      if (s.flags & BPF_F_NO_PREALLOC) return buckets;
      const percpu = s.type === 'percpu_hash' || s.type === 'lru_percpu_hash';
      const elem = HTAB_ELEM_SIZE + round8(s.keySize) + (percpu ? 8 : round8(s.valueSize));
      return buckets + elem * n + (percpu ? round8(s.valueSize) * cpus * n : 0);
    }
    case 'hash_of_maps': case 'devmap_hash':
      return pow2ceil(n) * HTAB_BUCKET_SIZE;
    case 'stack_trace':
      return pow2ceil(n) * 8 + (s.flags & BPF_F_NO_PREALLOC ? 0 : n * (16 + s.valueSize));
    case 'ringbuf':
      return n;
    default:
      return 0;
  }
}

let machineRam: number | undefined;

/** The machine's RAM, read once: os.totalmem() parses /proc/meminfo (tens of µs), too slow per map. */
function totalRam(): number {
  return (machineRam ??= totalmem());
}

function round8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

/** BPF_MAP_CREATE in bpflab: a new map for `spec`, or a thrown MapError with the kernel's errno. */
export function createMap(spec: MapSpec, opts: CreateMapOptions = {}): BpfMap {
  const problem = validateMapSpec(spec);
  if (problem) fail(problem[0], `map ${spec.name}: ${problem[1]}`);
  if (spec.inner) {
    const inner = validateMapSpec(spec.inner);
    if (inner) fail(inner[0], `map ${spec.name}: inner map template: ${inner[1]}`);
  }
  const cpus = opts.cpus ?? 1;
  if (!Number.isInteger(cpus) || cpus < 1) throw new RangeError(`cpus must be a positive integer (got ${cpus})`);
  const possibleCpus = opts.possibleCpus ?? cpus;
  if (!Number.isInteger(possibleCpus) || possibleCpus < 1) throw new RangeError(`possibleCpus must be a positive integer (got ${possibleCpus})`);
  // vmalloc refuses more pages than the machine has (__vmalloc_node_range: totalram_pages()).
  const prealloc = kernelPreallocBytes(spec, cpus);
  const ram = opts.totalRam ?? totalRam();
  if (prealloc > ram) fail('ENOMEM', `map ${spec.name}: the kernel would preallocate ${prealloc} bytes, more than the machine's ${ram} bytes of RAM`);
  const budget = opts.budget ?? new MemoryBudget();
  switch (spec.type) {
    case 'array':
    case 'percpu_array':
      return new ArrayMap(spec, cpus, budget);
    case 'hash':
    case 'percpu_hash':
    case 'devmap_hash':
      return new HashMap(spec, cpus, budget);
    case 'lru_hash':
    case 'lru_percpu_hash':
      return new LruHashMap(spec, cpus, budget, possibleCpus);
    case 'devmap':
    case 'cpumap':
    case 'xskmap':
      return new RedirectArray(spec, budget);
    case 'prog_array':
      return new ProgArray(spec);
    case 'perf_event_array':
      return new PerfEventArray(spec);
    case 'cgroup_array':
      return new CgroupArray(spec);
    case 'array_of_maps':
      return new ArrayOfMaps(spec);
    case 'hash_of_maps':
      return new HashOfMaps(spec);
    case 'queue':
    case 'stack':
      return new QueueStack(spec, budget);
    case 'ringbuf':
      if (!budget.tryCharge(spec.maxEntries)) budget.charge(spec.maxEntries, `ringbuf map ${spec.name}`);
      return new RingBuf(spec);
    case 'lpm_trie':
      return new LpmTrie(spec);
    case 'stack_trace':
      return new StackTrace(spec);
    case 'sk_storage':
      return new SkStorageMap(spec, budget);
    default:
      return fail('ENOTSUPP', `map ${spec.name}: map type ${spec.type} is not modelled by bpflab`);
  }
}

/**
 * Kernel maps through bpf(): BPF_MAP_CREATE and the element commands, as plain functions on a
 * file descriptor and as a `KernelMap` object with the same user-space API as the runtime's
 * BpfMap, so that one operation sequence can run on both and be compared.
 */
import { readFileSync } from 'node:fs';
import { MAP_TYPES, makeMapSpec, type MapSpec } from '../isa/program.js';
import { Attr, MAP_CREATE, MAP_ELEM } from './attr.js';
import { MapError } from '../runtime/maps/types.js';
import { KernelError } from './errors.js';
import { BPF_CMD, bpf, closeFd, scratchBuffer, scratchCopy } from './syscall.js';
import { btfLoad } from './btf.js';
import { BTF_REQUIRED_MAP_TYPES, sizedMapBtf } from './map-btf.js';

const ENOENT = 2;

let cpuCount: number | undefined;

/** Number of possible CPUs (the per-CPU value count the kernel uses in user-space copies). */
export function possibleCpus(): number {
  if (cpuCount !== undefined) return cpuCount;
  let n = 1;
  try {
    const text = readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim();
    n = 0;
    for (const part of text.split(',')) {
      const [a, b] = part.split('-').map((x) => Number.parseInt(x, 10));
      if (a === undefined || Number.isNaN(a)) continue;
      n += b === undefined || Number.isNaN(b) ? 1 : b - a + 1;
    }
    if (n === 0) n = 1;
  } catch {
    n = 1;
  }
  cpuCount = n;
  return n;
}

const PERCPU = new Set<string>(['percpu_hash', 'percpu_array', 'lru_percpu_hash', 'percpu_cgroup_storage']);

/** Size of the user-space value buffer for a lookup on this map (per-CPU values padded to 8). */
export function userValueSize(spec: MapSpec): number {
  if (PERCPU.has(spec.type)) return Math.ceil(spec.valueSize / 8) * 8 * possibleCpus();
  return spec.valueSize;
}

/**
 * Map types libbpf creates without BTF key/value types (bpf_object__create_map): their values
 * are fds or have no meaningful type.
 */
const NO_BTF_TYPES = new Set<string>([
  'perf_event_array', 'cgroup_array', 'stack_trace', 'array_of_maps', 'hash_of_maps', 'devmap', 'devmap_hash', 'cpumap',
  'xskmap', 'sockmap', 'sockhash', 'queue', 'stack', 'arena', 'ringbuf', 'user_ringbuf',
]);

/** Whether BPF_MAP_CREATE gets the spec's BTF key/value type ids (with a BTF fd). */
export function mapUsesBtf(spec: MapSpec): boolean {
  return spec.btfValueTypeId !== undefined && !NO_BTF_TYPES.has(spec.type);
}

/**
 * BPF_MAP_CREATE; returns the new map's fd. `innerFd` is required for array_of_maps / hash_of_maps.
 * With `btfFd`, maps that carry BTF type ids (mapUsesBtf) are described by them.
 */
export function mapCreateFd(spec: MapSpec, innerFd = 0, btfFd?: number): number {
  const a = new Attr(MAP_CREATE.size)
    .u32(MAP_CREATE.map_type, MAP_TYPES[spec.type])
    .u32(MAP_CREATE.key_size, spec.keySize)
    .u32(MAP_CREATE.value_size, spec.valueSize)
    .u32(MAP_CREATE.max_entries, spec.maxEntries)
    .u32(MAP_CREATE.map_flags, spec.flags)
    .u32(MAP_CREATE.inner_map_fd, innerFd)
    .name(MAP_CREATE.map_name, spec.name);
  if (spec.mapExtra !== undefined) a.u64(MAP_CREATE.map_extra, spec.mapExtra);
  if (btfFd !== undefined && btfFd >= 0 && mapUsesBtf(spec))
    a.u32(MAP_CREATE.btf_fd, btfFd).u32(MAP_CREATE.btf_key_type_id, spec.btfKeyTypeId ?? 0).u32(MAP_CREATE.btf_value_type_id, spec.btfValueTypeId ?? 0);
  const r = bpf(BPF_CMD.MAP_CREATE, a.bytes);
  if (r.ret < 0) throw new KernelError('BPF_MAP_CREATE', r.errno, `map ${spec.name} (${spec.type})`);
  return r.ret;
}

function elemAttr(fd: number, key: bigint, value: bigint, flags: number): Uint8Array {
  return new Attr(MAP_ELEM.size)
    .u32(MAP_ELEM.map_fd, fd)
    .u64(MAP_ELEM.key, key)
    .u64(MAP_ELEM.value, value)
    .u64(MAP_ELEM.flags, BigInt(flags)).bytes;
}

/**
 * BPF_MAP_UPDATE_ELEM (a null/empty key for queue/stack pushes). Throws KernelError.
 * `key` and `value` must be the full sizes the kernel reads (key_size; userValueSize(spec)).
 */
export function mapUpdate(fd: number, key: Uint8Array | null, value: Uint8Array, flags = 0): void {
  const r = bpf(BPF_CMD.MAP_UPDATE_ELEM, elemAttr(fd, scratchCopy('key', key), scratchCopy('value', value), flags));
  if (r.ret < 0) throw new KernelError('BPF_MAP_UPDATE_ELEM', r.errno);
}

/** BPF_MAP_LOOKUP_ELEM into a value buffer of `valueSize` bytes (see userValueSize). Throws KernelError. */
export function mapLookup(fd: number, key: Uint8Array | null, valueSize: number, flags = 0): Uint8Array {
  const out = scratchBuffer('value', valueSize);
  const r = bpf(BPF_CMD.MAP_LOOKUP_ELEM, elemAttr(fd, scratchCopy('key', key), out.addr, flags));
  if (r.ret < 0) throw new KernelError('BPF_MAP_LOOKUP_ELEM', r.errno);
  return out.bytes.slice(0, valueSize);
}

/** BPF_MAP_LOOKUP_AND_DELETE_ELEM (queue/stack pop with a null key). Throws KernelError. */
export function mapLookupAndDelete(fd: number, key: Uint8Array | null, valueSize: number): Uint8Array {
  const out = scratchBuffer('value', valueSize);
  const r = bpf(BPF_CMD.MAP_LOOKUP_AND_DELETE_ELEM, elemAttr(fd, scratchCopy('key', key), out.addr, 0));
  if (r.ret < 0) throw new KernelError('BPF_MAP_LOOKUP_AND_DELETE_ELEM', r.errno);
  return out.bytes.slice(0, valueSize);
}

/** BPF_MAP_DELETE_ELEM. Throws KernelError. */
export function mapDelete(fd: number, key: Uint8Array | null): void {
  const r = bpf(BPF_CMD.MAP_DELETE_ELEM, elemAttr(fd, scratchCopy('key', key), 0n, 0));
  if (r.ret < 0) throw new KernelError('BPF_MAP_DELETE_ELEM', r.errno);
}

/** BPF_MAP_GET_NEXT_KEY: the key after `key` (first key for null); undefined at the end (ENOENT). */
export function mapNextKey(fd: number, key: Uint8Array | null, keySize: number): Uint8Array | undefined {
  const out = scratchBuffer('nextKey', keySize);
  const r = bpf(BPF_CMD.MAP_GET_NEXT_KEY, elemAttr(fd, scratchCopy('key', key), out.addr, 0));
  if (r.ret < 0) {
    if (r.errno === ENOENT) return undefined;
    throw new KernelError('BPF_MAP_GET_NEXT_KEY', r.errno);
  }
  return out.bytes.slice(0, keySize);
}

/** BPF_MAP_FREEZE: no more writes from user space (libbpf does this for .rodata). */
export function mapFreeze(fd: number): void {
  const r = bpf(BPF_CMD.MAP_FREEZE, new Attr(8).u32(0, fd).bytes);
  if (r.ret < 0) throw new KernelError('BPF_MAP_FREEZE', r.errno);
}

/** A map living in the kernel, with the user-space half of the BpfMap API. Call close(). */
export class KernelMap {
  readonly cpus: number;
  private closed = false;
  constructor(
    readonly spec: MapSpec,
    readonly fd: number,
  ) {
    this.cpus = PERCPU.has(spec.type) ? possibleCpus() : 1;
  }
  /** The kernel reads exactly key_size bytes: a shorter buffer would make it read past ours. */
  private key(key: Uint8Array): Uint8Array {
    if (key.length !== this.spec.keySize)
      throw new MapError('EINVAL', `map ${this.spec.name}: key is ${key.length} bytes, key_size is ${this.spec.keySize}`);
    return key;
  }
  /** The value buffer the kernel reads; a single per-CPU value is repeated for every CPU. */
  private value(value: Uint8Array): Uint8Array {
    const full = userValueSize(this.spec);
    if (value.length === full) return value;
    if (PERCPU.has(this.spec.type) && value.length === this.spec.valueSize) {
      const stride = Math.ceil(this.spec.valueSize / 8) * 8;
      const out = new Uint8Array(full);
      for (let c = 0; c < this.cpus; c++) out.set(value, c * stride);
      return out;
    }
    throw new MapError('EINVAL', `map ${this.spec.name}: value is ${value.length} bytes, expected ${full}`);
  }
  lookup(key: Uint8Array): Uint8Array {
    return mapLookup(this.fd, this.key(key), userValueSize(this.spec));
  }
  update(key: Uint8Array, value: Uint8Array, flags = 0): void {
    mapUpdate(this.fd, this.key(key), this.value(value), flags);
  }
  delete(key: Uint8Array): void {
    mapDelete(this.fd, this.key(key));
  }
  nextKey(key: Uint8Array | null): Uint8Array | undefined {
    return mapNextKey(this.fd, key ? this.key(key) : null, this.spec.keySize);
  }
  /** Queue/stack: push (update with no key). */
  push(value: Uint8Array, flags = 0): void {
    mapUpdate(this.fd, null, this.value(value), flags);
  }
  /** Queue/stack: pop (lookup-and-delete with no key). */
  pop(): Uint8Array {
    return mapLookupAndDelete(this.fd, null, this.spec.valueSize);
  }
  /** Queue/stack: peek (lookup with no key). */
  peek(): Uint8Array {
    return mapLookup(this.fd, null, this.spec.valueSize);
  }
  /** All entries, in the kernel's get-next-key order. */
  entries(): Array<[Uint8Array, Uint8Array]> {
    const out: Array<[Uint8Array, Uint8Array]> = [];
    let k = this.nextKey(null);
    let guard = 0;
    while (k && guard++ <= this.spec.maxEntries) {
      try {
        out.push([k, this.lookup(k)]);
      } catch (e) {
        if (!(e instanceof KernelError) || e.errno !== 'ENOENT') throw e;
      }
      k = this.nextKey(k);
    }
    return out;
  }
  close(): void {
    if (!this.closed) closeFd(this.fd);
    this.closed = true;
  }
}

/** Like libbpf: when the kernel refuses a map with its BTF, retry without it. */
function createWithBtfFallback(spec: MapSpec, innerFd: number, btfFd: number | undefined): number {
  if (BTF_REQUIRED_MAP_TYPES.has(spec.type) && (btfFd === undefined || !mapUsesBtf(spec) || !spec.btfKeyTypeId)) return createWithSizedBtf(spec, innerFd);
  if (btfFd === undefined || !mapUsesBtf(spec)) return mapCreateFd(spec, innerFd);
  try {
    return mapCreateFd(spec, innerFd, btfFd);
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
    return mapCreateFd(spec, innerFd);
  }
}

/** A map that needs BTF types, created with a BTF made from its key and value sizes (see map-btf.ts). */
function createWithSizedBtf(spec: MapSpec, innerFd: number): number {
  const btf = sizedMapBtf(spec.keySize, spec.valueSize);
  const b = btfLoad(btf.raw);
  if (b.fd === null) throw new KernelError('BPF_BTF_LOAD', 22, `the BTF made for map ${spec.name} was refused with ${b.errno}: ${b.log.trim()}`);
  try {
    return mapCreateFd(makeMapSpec({ ...spec, btfKeyTypeId: btf.keyTypeId, btfValueTypeId: btf.valueTypeId }), innerFd, b.fd);
  } finally {
    closeFd(b.fd);
  }
}

/**
 * The spec as this host creates it: a perf_event_array declared with max_entries 0 gets one
 * slot per possible CPU (libbpf's map_set_def_max_entries; the loader leaves the 0 so that a
 * Program does not depend on the host). Applies to a map-in-map's inner template too.
 */
export function hostMapSpec(spec: MapSpec): MapSpec {
  let out = spec;
  if (spec.type === 'perf_event_array' && spec.maxEntries === 0) out = makeMapSpec({ ...spec, maxEntries: possibleCpus() });
  if (spec.inner) {
    const inner = hostMapSpec(spec.inner);
    if (inner !== spec.inner) out = makeMapSpec({ ...out, inner });
  }
  return out;
}

/**
 * Creates a kernel map for `spec` (its inner template first for map-in-map types, closed after),
 * fills a global-data map from `spec.initial` and freezes `readonly` ones.
 */
export function mapCreate(declared: MapSpec, opts: { btfFd?: number } = {}): KernelMap {
  const spec = hostMapSpec(declared);
  let innerFd = -1;
  if (spec.inner) innerFd = createWithBtfFallback(spec.inner, 0, opts.btfFd);
  let fd: number;
  try {
    fd = createWithBtfFallback(spec, Math.max(innerFd, 0), opts.btfFd);
  } finally {
    closeFd(innerFd);
  }
  const m = new KernelMap(spec, fd);
  try {
    if (spec.initial) {
      const value = new Uint8Array(spec.valueSize);
      value.set(spec.initial.subarray(0, spec.valueSize));
      m.update(new Uint8Array(spec.keySize), value, 0);
    }
    if (spec.readonly) mapFreeze(fd);
  } catch (e) {
    m.close();
    throw e;
  }
  return m;
}

/** What the kernel reports about a map (struct bpf_map_info, the fields used here). */
export interface KernelMapInfo {
  type: number;
  id: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  name: string;
  /** Id of the BTF object the map was created with (0 = none). */
  btfId: number;
  btfKeyTypeId: number;
  btfValueTypeId: number;
}

/** BPF_OBJ_GET_INFO_BY_FD on a map fd. Throws KernelError. */
export function mapInfo(fd: number): KernelMapInfo {
  const size = 88;
  const info = scratchBuffer('mapInfo', size);
  const a = new Attr(16).u32(0, fd).u32(4, size).u64(8, info.addr);
  const r = bpf(BPF_CMD.OBJ_GET_INFO_BY_FD, a.bytes);
  if (r.ret < 0) throw new KernelError('BPF_OBJ_GET_INFO_BY_FD', r.errno);
  const dv = new DataView(info.bytes.buffer, info.bytes.byteOffset, size);
  const u32 = (o: number) => dv.getUint32(o, true);
  const nameBytes = info.bytes.subarray(24, 40);
  const end = nameBytes.indexOf(0);
  return {
    type: u32(0), id: u32(4), keySize: u32(8), valueSize: u32(12), maxEntries: u32(16), flags: u32(20),
    name: Buffer.from(nameBytes.subarray(0, end < 0 ? 16 : end)).toString('latin1'),
    btfId: u32(64), btfKeyTypeId: u32(68), btfValueTypeId: u32(72),
  };
}

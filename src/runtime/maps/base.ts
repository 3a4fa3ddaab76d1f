/**
 * Shared machinery of the map implementations: errors, key representation, the map id
 * registry, and a base class that gives every map type the kernel's default answers.
 */
import type { MapSpec } from '../../isa/program.js';
import { ERRNO, type ErrnoName } from './errno.js';
import { BPF_EXIST, MapError, type BpfMap } from './types.js';
import { zeroedBytes } from './zeroed.js';

export function fail(errno: ErrnoName, message: string): never {
  throw new MapError(errno, message);
}

/** Throws the MapError matching a negative errno returned by a program-side operation. */
export function throwIfError(ret: number, what: string): void {
  if (ret >= 0) return;
  for (const [k, v] of Object.entries(ERRNO)) if (v === -ret) fail(k as ErrnoName, `${what}: ${k}`);
  throw new MapError(`errno ${-ret}`, `${what}: errno ${-ret}`);
}

export const round8 = (n: number): number => (n + 7) & ~7;

/** A value usable as a JS Map key for `key`'s first `size` bytes (a number for short keys, else a latin1 string). */
export function keyRepr(key: Uint8Array, size: number): number | string {
  // Up to 8 bytes whose bytes past the sixth are zero (small u64 keys, the usual kind) are a number
  // as well, never equal to the string any other key of the size gets: no string built and hashed.
  if (size <= 6 || (size <= 8 && (key[6] ?? 0) === 0 && (size === 7 || (key[7] ?? 0) === 0))) {
    let v = 0;
    for (let i = Math.min(size, 6) - 1; i >= 0; i--) v = v * 256 + (key[i] ?? 0);
    return v;
  }
  let s = '';
  for (let i = 0; i < size; i++) s += String.fromCharCode(key[i] ?? 0);
  return s;
}

/** The little-endian u32 at the start of `key` (array indices, stack ids). */
export function u32At(b: Uint8Array, off = 0): number {
  return ((b[off] ?? 0) | ((b[off + 1] ?? 0) << 8) | ((b[off + 2] ?? 0) << 16) | ((b[off + 3] ?? 0) << 24)) >>> 0;
}

export function u32Bytes(n: number): Uint8Array {
  const b = new Uint8Array(4);
  b[0] = n & 0xff;
  b[1] = (n >>> 8) & 0xff;
  b[2] = (n >>> 16) & 0xff;
  b[3] = (n >>> 24) & 0xff;
  return b;
}

/** Per-CPU values as user space sees them: each CPU's value padded to 8 bytes, concatenated. */
export function packPercpu(slots: readonly Uint8Array[], valueSize: number): Uint8Array {
  const stride = round8(valueSize);
  const out = new Uint8Array(stride * slots.length);
  slots.forEach((s, i) => out.set(s.subarray(0, valueSize), i * stride));
  return out;
}

/** One element's value views, one per CPU (one for a non-per-CPU map), over one buffer of 8-aligned strides. */
export function valueSlots(valueSize: number, cpus: number): Uint8Array[] {
  const stride = round8(valueSize);
  const buf = zeroedBytes(stride * cpus);
  const slots: Uint8Array[] = [];
  for (let c = 0; c < cpus; c++) slots.push(buf.subarray(c * stride, c * stride + valueSize));
  return slots;
}

/** What a user-space lookup returns from an element's value views: every CPU's value (per-CPU maps) or a copy of the one. */
export function userValue(slots: readonly Uint8Array[], percpu: boolean, valueSize: number): Uint8Array {
  return percpu ? packPercpu(slots, valueSize) : slots[0]!.slice();
}

/** A user-space update of an element's value views: each CPU's value out of the buffer (per-CPU maps) or the one value. */
export function writeUserValue(spec: MapSpec, slots: readonly Uint8Array[], percpu: boolean, value: Uint8Array): void {
  for (let c = 0; c < slots.length; c++) slots[c]!.set(percpu ? percpuSlice(spec, slots.length, value, c) : value);
}

/**
 * The value for CPU `cpu` out of a user-space per-CPU update buffer. Accepts the kernel's layout
 * (cpus x round8(value_size)) and, as a convenience, a single value_size value for every CPU.
 */
export function percpuSlice(spec: MapSpec, cpus: number, value: Uint8Array, cpu: number): Uint8Array {
  if (value.length === spec.valueSize) return value;
  const stride = round8(spec.valueSize);
  return value.subarray(cpu * stride, cpu * stride + spec.valueSize);
}

export function checkPercpuValue(spec: MapSpec, cpus: number, value: Uint8Array): void {
  const full = round8(spec.valueSize) * cpus;
  if (value.length !== full && value.length !== spec.valueSize)
    fail('EINVAL', `map ${spec.name}: per-CPU value is ${value.length} bytes, expected ${full} (${cpus} CPUs x ${round8(spec.valueSize)})`);
}

export function checkValue(spec: MapSpec, value: Uint8Array): void {
  if (value.length !== spec.valueSize) fail('EINVAL', `map ${spec.name}: value is ${value.length} bytes, value_size is ${spec.valueSize}`);
}

export function checkKey(spec: MapSpec, key: Uint8Array): void {
  if (key.length !== spec.keySize) fail('EINVAL', `map ${spec.name}: key is ${key.length} bytes, key_size is ${spec.keySize}`);
}

/**
 * BPF_MAP_GET_NEXT_KEY for maps indexed by a u32 (arrays, devmap, cpumap, xskmap): a missing or
 * out-of-range key restarts at index 0, as array_map_get_next_key does; the last index ends it.
 */
export function nextIndexKey(spec: MapSpec, key: Uint8Array | null): Uint8Array | undefined {
  if (key) checkKey(spec, key);
  const i = key ? u32At(key) : -1;
  if (i < 0 || i >= spec.maxEntries) return u32Bytes(0);
  if (i === spec.maxEntries - 1) return undefined;
  return u32Bytes(i + 1);
}

/** Update flags allowed from user space and programs: BPF_ANY/NOEXIST/EXIST, plus BPF_F_LOCK (needs a spin lock: EINVAL). */
export function checkUpdateFlags(flags: number): number {
  if ((flags & ~4) > BPF_EXIST) return -ERRNO.EINVAL;
  if (flags & 4) return -ERRNO.EINVAL; // BPF_F_LOCK without a bpf_spin_lock in the value (no BTF here)
  return 0;
}

// ---- map ids ----
let nextId = 1;
const registry = new Map<number, WeakRef<BpfMap>>();

export function registerMap(m: BpfMap): void {
  registry.set(m.id, new WeakRef(m));
}

export function allocMapId(): number {
  return nextId++;
}

/** The live map with this id (what a map-in-map's user-space update resolves a "map fd" with). */
export function mapById(id: number): BpfMap | undefined {
  const ref = registry.get(id);
  const m = ref?.deref();
  if (ref && !m) registry.delete(id);
  return m;
}

/**
 * Defaults for every map type; subclasses override what their kernel map type supports.
 * (The kernel's defaults differ per operation: unsupported user-space ops mostly give ENOTSUPP/EINVAL.)
 */
export abstract class MapBase implements BpfMap {
  private readonly mapId: number;
  private registered = false;
  constructor(
    readonly spec: MapSpec,
    readonly cpus: number,
  ) {
    this.mapId = allocMapId();
  }

  /**
   * The map's id. It enters the registry (mapById) when first read: an id nobody has seen
   * cannot be looked up, and a fuzzer creating maps for every run does not pay for a WeakRef
   * per map (nor grow the registry with them).
   */
  get id(): number {
    if (!this.registered) { this.registered = true; registerMap(this); }
    return this.mapId;
  }
  abstract lookup(key: Uint8Array): Uint8Array;
  abstract update(key: Uint8Array, value: Uint8Array, flags?: number): void;
  abstract delete(key: Uint8Array): void;
  abstract nextKey(key: Uint8Array | null): Uint8Array | undefined;
  abstract count(): number;
  lookupRef(_key: Uint8Array, _cpu: number): Uint8Array | null {
    return null;
  }
  updateFromProgram(_key: Uint8Array, _value: Uint8Array, _flags: number, _cpu: number): number {
    return -ERRNO.EINVAL;
  }
  deleteFromProgram(_key: Uint8Array, _cpu: number): number {
    return -ERRNO.EINVAL;
  }
  protected checkCpu(cpu: number): void {
    if (!(cpu >= 0 && cpu < this.cpus))
      throw new RangeError(`map ${this.spec.name}: cpu ${cpu} outside 0..${this.cpus - 1} (create the map with opts.cpus)`);
  }
  protected label(): string {
    return `${this.spec.type} map ${this.spec.name}`;
  }
}

/**
 * The region-based memory model shared by the VM, the JIT and every helper.
 *
 * A pointer is (region, offset). In a 64-bit register it is encoded as
 *
 *     hi 32 bits = PTR_TAG | region << 8        (PTR_TAG = 0x5a000080)
 *     lo 32 bits = offset inside the region (unsigned)
 *
 * so pointer arithmetic is plain 64-bit arithmetic and needs no allocation: the VM keeps each
 * register as two int32 halves in an Int32Array. The guard byte 0x80 in the low 8 bits of `hi`
 * turns any borrow/carry out of the offset (a pointer moved below 0 or past 4 GiB) into an
 * invalid pattern (0x7f / 0x81), reported as out_of_bounds, never as another region. Region 0 is
 * never valid; the value 0 is NULL. A scalar whose high word happens to match the tag is treated
 * as a pointer: this is the price of type-free registers, and the verifier's job to exclude.
 *
 * Each region has bytes (a Uint8Array over any ArrayBuffer: a map's storage, a packet buffer,
 * a WebAssembly.Memory), a window [start, end) of offsets that may be accessed, an origin (the
 * offset reported as 0 in faults: the frame top for stacks, `data` for packets), and flags:
 * writable, strict alignment (stacks: the kernel requires aligned stack access), ctx (loads and
 * stores go through the program type's context handler). Offsets index `bytes` directly.
 *
 * Regions 1..MAX_FRAMES are the call-frame stacks (512 bytes each, r10 = offset 512) and live
 * for the Memory's lifetime; everything else is added per run and dropped by `reset()`.
 */
import { VmError } from './errors.js';

/** Where a bad access went: the kernel's names for memory kinds. */
export type RegionKind = 'invalid' | 'ctx' | 'stack' | 'packet' | 'map_value' | 'map_key' | 'ringbuf' | 'mem' | 'map' | 'func' | 'sock' | 'kernel';

export type FaultKind = 'out_of_bounds' | 'misaligned' | 'null' | 'invalid_pointer' | 'read_only' | 'ctx_access';

/** A bad memory access: the run stops and reports it. */
export class MemoryFault extends Error {
  pc: number;
  readonly kind: FaultKind;
  /** Region kind, e.g. "map_value", "stack", "packet"; "none" for NULL / non-pointers. */
  readonly region: RegionKind | 'none';
  /** Offset from the region's origin (stack: from the frame top, so negative; packet: from data). */
  readonly offset: number;
  readonly size: number;
  constructor(pc: number, kind: FaultKind, region: RegionKind | 'none', offset: number, size: number, detail?: string) {
    super(`${kind.replace(/_/g, ' ')}: ${size}-byte access at ${region}${offset >= 0 ? '+' : ''}${offset}${detail ? ` (${detail})` : ''} at pc ${pc}`);
    this.name = 'MemoryFault';
    this.pc = pc;
    this.kind = kind;
    this.region = region;
    this.offset = offset;
    this.size = size;
  }
  toJSON(): { pc: number; kind: FaultKind; region: string; offset: number; size: number } {
    return { pc: this.pc, kind: this.kind, region: this.region, offset: this.offset, size: this.size };
  }
}

export const PTR_TAG = 0x5a000080;
export const PTR_TAG_MASK = 0xff0000ff;
export const MAX_REGIONS = 0xffff;
export const STACK_SIZE = 512;
/** MAX_CALL_FRAMES: the main program plus 7 nested bpf-to-bpf calls. */
export const MAX_FRAMES = 8;

export const F_WRITABLE = 1;
export const F_STRICT = 2;
export const F_CTX = 4;

const KIND_NAMES: readonly RegionKind[] = ['invalid', 'ctx', 'stack', 'packet', 'map_value', 'map_key', 'ringbuf', 'mem', 'map', 'func', 'sock', 'kernel'];
const KIND_INDEX = Object.fromEntries(KIND_NAMES.map((k, i) => [k, i])) as Record<RegionKind, number>;

/** Handles ctx loads/stores for a program type (see runtime/ctx-region.ts). */
export interface CtxHandler {
  /** Load `size` bytes at `off`: writes the 64-bit result into out[0] (lo), out[1] (hi), or throws MemoryFault. */
  load(off: number, size: number, out: Int32Array, pc: number, signed: boolean): void;
  store(off: number, size: number, lo: number, hi: number, pc: number): void;
  /** The ctx bytes a run reports (BPF_PROG_TEST_RUN's ctx_out); default: the region's bytes. */
  output?(): Uint8Array;
}

export interface RegionOptions {
  /** First accessible offset (default 0). */
  start?: number;
  /** One past the last accessible offset (default bytes.length). */
  end?: number;
  /** Offset reported as 0 in faults (default start). */
  origin?: number;
  writable?: boolean;
  strictAlign?: boolean;
  /** Extra data for helpers: the BpfMap of a map pointer, the record of a ringbuf region, ... */
  owner?: unknown;
  /** A DataView over exactly `bytes`, kept by a caller that adds the same bytes run after run (otherwise one is made). */
  view?: DataView | undefined;
}

export class Memory {
  /** Number of regions in use (ids 0..count-1). */
  count = 0;
  /**
   * Bumped whenever a region's window moves within a run (setWindow, release, a map's struct
   * image): whoever kept a pointer's raw bits from earlier in the run knows whether its offset
   * and length still read as they did then (the fuzzer's embed oracle decodes steps at the end).
   */
  windowEpoch = 0;
  /** Per region: its bytes, a DataView over the same bytes, window, origin, flags, kind. */
  bytes: Uint8Array[] = [];
  views: DataView[] = [];
  start: Int32Array;
  end: Int32Array;
  origin: Int32Array;
  flags: Uint8Array;
  kinds: Uint8Array;
  /** -1 for regions that need aligned access (stacks), 0 otherwise: `(addr & (size-1) & align[id]) === 0`. */
  align: Int32Array;
  owners: unknown[] = [];
  /** The ctx handler for the region with F_CTX (one per run). */
  ctx: CtxHandler | null = null;
  /** The kernel struct behind a map pointer (its owner), built when a program first reads it; undefined when not modelled. */
  mapImage: ((owner: unknown) => Uint8Array | undefined) | null = null;
  /**
   * Loads through kernel pointers are BPF_PROBE_MEM in the kernel: a load from an unmapped
   * address (a NULL field walked) reads 0 instead of faulting. Set for runs over kernel objects;
   * the load slow path honours it for NULL-page addresses (see access.ts).
   */
  probeLoads = false;
  /** Region ids of the call-frame stacks: stackIds[depth]. */
  readonly stackIds: Int32Array;
  private fixed = 0;
  /** Regions of live views (map values, records) by view object: maps hand out one stable view per element. */
  private viewRegions = new Map<Uint8Array, number>();

  constructor() {
    const cap = 64;
    this.start = new Int32Array(cap);
    this.end = new Int32Array(cap);
    this.origin = new Int32Array(cap);
    this.flags = new Uint8Array(cap);
    this.kinds = new Uint8Array(cap);
    this.align = new Int32Array(cap);
    this.push('invalid', new Uint8Array(0), { writable: false });
    this.stackIds = new Int32Array(MAX_FRAMES);
    for (let i = 0; i < MAX_FRAMES; i++)
      this.stackIds[i] = this.push('stack', new Uint8Array(STACK_SIZE), { origin: STACK_SIZE, writable: true, strictAlign: true });
    this.fixed = this.count;
  }

  /**
   * Drops every per-run region and zeroes the stacks (a run starts from a clean state);
   * `usedFrames` limits the zeroing to the frames the previous run touched.
   */
  reset(usedFrames = MAX_FRAMES): void {
    for (let i = this.fixed; i < this.count; i++) {
      this.bytes[i] = EMPTY; this.views[i] = EMPTY_VIEW; this.owners[i] = undefined;
      this.start[i] = 1; this.end[i] = 0; // stale pointers into dropped regions fail every window check
    }
    this.count = this.fixed;
    this.ctx = null;
    this.probeLoads = false;
    if (this.viewRegions.size) this.viewRegions.clear();
    this.released = undefined;
    for (let i = 0; i < Math.min(usedFrames, MAX_FRAMES); i++) this.bytes[this.stackIds[i]!]!.fill(0);
  }

  /** Adds a region; returns its id. */
  add(kind: RegionKind, bytes: Uint8Array, opts: RegionOptions = {}): number {
    return this.push(kind, bytes, opts);
  }

  /**
   * The region for a live view (map values, ringbuf records): the same view object gets the same
   * region within a run, so a loop of lookups does not grow the table. (Maps return one stable
   * view per element; a deleted and re-created element is a new view, hence a new region.)
   */
  regionFor(kind: RegionKind, bytes: Uint8Array, writable: boolean, owner?: unknown): number {
    const hit = this.viewRegions.get(bytes);
    if (hit !== undefined) return hit;
    const id = this.push(kind, bytes, { writable, owner });
    this.viewRegions.set(bytes, id);
    return id;
  }

  private push(kind: RegionKind, bytes: Uint8Array, o: RegionOptions): number {
    const id = this.count;
    if (id >= MAX_REGIONS) throw new Error(`too many memory regions (${MAX_REGIONS})`);
    if (id >= this.start.length) this.grow();
    this.bytes[id] = bytes;
    this.views[id] = o.view ?? (bytes.byteLength === 0 ? EMPTY_VIEW : new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    const start = o.start ?? 0;
    // ctx regions get an empty window: every access takes the slow path through the ctx handler
    this.start[id] = kind === 'ctx' ? 1 : start;
    this.end[id] = kind === 'ctx' ? 0 : o.end ?? bytes.length;
    this.align[id] = o.strictAlign ? -1 : 0;
    this.origin[id] = o.origin ?? start;
    this.flags[id] = (o.writable === false ? 0 : F_WRITABLE) | (o.strictAlign ? F_STRICT : 0) | (kind === 'ctx' ? F_CTX : 0);
    this.kinds[id] = KIND_INDEX[kind];
    this.owners[id] = o.owner;
    this.count = id + 1;
    return id;
  }

  private grow(): void {
    const n = this.start.length * 2;
    const g = <T extends Int32Array | Uint8Array>(a: T, mk: (n: number) => T): T => { const b = mk(n); b.set(a); return b; };
    this.start = g(this.start, (k) => new Int32Array(k));
    this.end = g(this.end, (k) => new Int32Array(k));
    this.origin = g(this.origin, (k) => new Int32Array(k));
    this.flags = g(this.flags, (k) => new Uint8Array(k));
    this.kinds = g(this.kinds, (k) => new Uint8Array(k));
    this.align = g(this.align, (k) => new Int32Array(k));
  }

  /**
   * Ends the life of a region's object within the run (a released socket reference): every later
   * access faults, naming `why`.
   */
  release(id: number, why: string): void {
    this.start[id] = 1;
    this.end[id] = 0;
    this.windowEpoch++;
    (this.released ??= new Map()).set(id, why);
  }
  private released: Map<number, string> | undefined;

  /** Moves a region's accessible window (packet adjust_head/tail/meta). */
  setWindow(id: number, start: number, end: number, origin = start): void {
    this.start[id] = start;
    this.end[id] = end;
    this.origin[id] = origin;
    this.windowEpoch++;
  }

  kindOf(id: number): RegionKind {
    return KIND_NAMES[this.kinds[id]!] ?? 'invalid';
  }

  // ---- pointers ----

  /** The high word of pointers into region `id`. */
  static hiOf(id: number): number {
    return (PTR_TAG | (id << 8)) | 0;
  }

  /** A pointer as a 64-bit bigint (for tests, helpers' results, the JIT's constants). */
  static ptr(id: number, off: number): bigint {
    return (BigInt(Memory.hiOf(id) >>> 0) << 32n) | BigInt(off >>> 0);
  }

  /**
   * The low 32 bits of the kernel address a pointer stands for, when a program uses it as a
   * number (a helper's scalar argument, e.g. a tail call index): the VM places region `id` at
   * PAGE_OFFSET + id * 64 KiB, so like a real kernel address it is never a small integer.
   */
  static addressLo(id: number, off: number): number {
    return ((id << 16) + off) >>> 0;
  }

  /** The region id of a pointer's high word, or -1 when it is not a pointer into a live region. */
  regionOf(hi: number): number {
    if ((hi & PTR_TAG_MASK) !== (PTR_TAG | 0)) return -1;
    const id = (hi >>> 8) & 0xffff;
    return id > 0 && id < this.count ? id : -1;
  }

  /**
   * The region of a pointer whose offset left 0..2^32 (it borrowed from or carried into the tag's
   * guard byte: 0x7f below, 0x81 above), or -1; `outsideDelta` then holds what to add to the low
   * word's offset (-2^32 or +2^32). A pointer moved there is still a pointer (p = value - 1;
   * *(p + 47)): accesses and the fuzzer's embedding oracle read its real offset.
   * Read only after regionOfMoved found a region. Starts as one of its two values, not 0: V8 keeps
   * a field first written with a small integer as one, and the first +-2^32 (not a small integer)
   * then gave every Memory a new hidden class, deoptimising each function compiled for the old
   * one (the VM's prepare and run, the memory's reset, add, push, regionOf, sliceHL).
   */
  outsideDelta = 0x100000000;
  regionOfMoved(hi: number): number {
    const guard = hi & 0xff;
    if ((hi & 0xff000000) !== (PTR_TAG & 0xff000000) || (guard !== 0x7f && guard !== 0x81)) return -1;
    const rid = (hi >>> 8) & 0xffff;
    if (rid <= 0 || rid >= this.count) return -1;
    this.outsideDelta = guard === 0x7f ? -0x100000000 : 0x100000000;
    return rid;
  }

  /**
   * Checks an access of `size` bytes at (hi, lo) + off; returns the region id and leaves the
   * absolute offset in `this.at`. Throws MemoryFault. This is the one place every rule lives;
   * the VM inlines the same checks on its fast path and calls this for the fault.
   */
  at = 0;
  check(hi: number, lo: number, off: number, size: number, write: boolean, pc: number, atomic = false, aligned = true): number {
    let id = this.regionOf(hi);
    let addr = (lo >>> 0) + off;
    if (id < 0) {
      if (hi === 0 && (lo >>> 0) < 4096) throw new MemoryFault(pc, 'null', 'none', addr, size);
      // the pointer's offset left 0..2^32; the access may still land inside the region once the
      // instruction's offset is added: check the real offset like any other
      const rid = this.regionOfMoved(hi);
      if (rid > 0) { id = rid; addr += this.outsideDelta; }
      if (id < 0) throw new MemoryFault(pc, 'invalid_pointer', 'none', addr, size, `not a pointer: 0x${(hi >>> 0).toString(16).padStart(8, '0')}${(lo >>> 0).toString(16).padStart(8, '0')}`);
    }
    if (addr < this.start[id]! || addr + size > this.end[id]!) {
      // the verifier lets programs read the kernel's struct behind a map pointer (check_ptr_to_map_access):
      // its bytes are built on the first such read
      if (!write && this.kindOf(id) === 'map') {
        const img = this.bytes[id]!.length === 0 ? this.mapImage?.(this.owners[id]) : undefined;
        if (!img) throw new VmError('unsupported', pc, `the VM does not model the kernel's struct behind a map pointer (a ${size}-byte read at offset ${addr - this.origin[id]!})`);
        this.bytes[id] = img;
        this.views[id] = new DataView(img.buffer, img.byteOffset, img.byteLength);
        this.end[id] = img.length;
        this.windowEpoch++;
        return this.check(hi, lo, off, size, write, pc, atomic, aligned);
      }
      throw new MemoryFault(pc, 'out_of_bounds', this.kindOf(id), addr - this.origin[id]!, size, this.released?.get(id));
    }
    const fl = this.flags[id]!;
    if (aligned && (atomic || (fl & F_STRICT) !== 0) && (addr & (size - 1)) !== 0)
      throw new MemoryFault(pc, 'misaligned', this.kindOf(id), addr - this.origin[id]!, size);
    if (write && (fl & F_WRITABLE) === 0) throw new MemoryFault(pc, 'read_only', this.kindOf(id), addr - this.origin[id]!, size);
    this.at = addr;
    return id;
  }

  // ---- checked access for helpers (64-bit values as bigint or hi/lo) ----

  /** A live view of `len` bytes at pointer `p` (bounds-checked; len 0 allowed with any valid pointer or NULL). */
  slice(p: bigint, len: number, write: boolean, pc = -1): Uint8Array {
    const { hi, lo } = split(p);
    return this.sliceHL(hi, lo, len, write, pc);
  }

  /** `slice` for a pointer given as its two halves (no BigInt: the helpers' fast path). */
  sliceHL(hi: number, lo: number, len: number, write: boolean, pc = -1): Uint8Array {
    if (len === 0) return EMPTY;
    const rid = this.regionOf(hi);
    if (rid > 0 && (this.flags[rid]! & F_CTX) !== 0) throw new MemoryFault(pc, 'ctx_access', 'ctx', lo >>> 0, len, 'helpers cannot take ctx memory as a buffer');
    const id = this.check(hi, lo, 0, len, write, pc, false, false); // helpers may take unaligned buffers
    return this.bytes[id]!.subarray(this.at, this.at + len);
  }

  /** Reads a NUL-terminated string of at most `max` bytes starting at p (stops at the region's end). */
  cstring(p: bigint, max: number, pc = -1): string {
    const { hi, lo } = split(p);
    const id = this.check(hi, lo, 0, 1, false, pc);
    const b = this.bytes[id]!;
    const stop = Math.min(this.end[id]!, this.at + max);
    let i = this.at;
    while (i < stop && b[i] !== 0) i++;
    return String.fromCharCode(...b.subarray(this.at, i));
  }

  /** A load with the VM's rules (alignment included); ctx regions are not served here. */
  load(p: bigint, size: 1 | 2 | 4 | 8, pc = -1): bigint {
    const { hi, lo } = split(p);
    const id = this.check(hi, lo, 0, size, false, pc);
    const dv = this.views[id]!, at = this.at;
    return size === 1 ? BigInt(dv.getUint8(at)) : size === 2 ? BigInt(dv.getUint16(at, true)) : size === 4 ? BigInt(dv.getUint32(at, true)) : dv.getBigUint64(at, true);
  }

  /** A store with the VM's rules (alignment and writability). */
  store(p: bigint, size: 1 | 2 | 4 | 8, value: bigint, pc = -1): void {
    const { hi, lo } = split(p);
    const id = this.check(hi, lo, 0, size, true, pc);
    const dv = this.views[id]!, at = this.at;
    const u = BigInt.asUintN(64, value);
    if (size === 1) dv.setUint8(at, Number(u & 0xffn));
    else if (size === 2) dv.setUint16(at, Number(u & 0xffffn), true);
    else if (size === 4) dv.setUint32(at, Number(u & 0xffffffffn), true);
    else dv.setBigUint64(at, u, true);
  }

  /** Decodes a pointer into (region id, offset) without checking bounds; null for non-pointers. */
  decode(p: bigint): { id: number; kind: RegionKind; off: number } | null {
    const { hi, lo } = split(p);
    const id = this.regionOf(hi);
    return id < 0 ? null : { id, kind: this.kindOf(id), off: lo >>> 0 };
  }
}

const EMPTY = new Uint8Array(0);
const EMPTY_VIEW = new DataView(new ArrayBuffer(0));

export function split(p: bigint): { hi: number; lo: number } {
  const u = BigInt.asUintN(64, p);
  return { hi: Number(u >> 32n) | 0, lo: Number(u & 0xffffffffn) | 0 };
}

export function join(hi: number, lo: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/**
 * Run inputs: packet bytes, ctx bytes, map contents and a PRNG seed. They are generated
 * independently of the program (so a case is a plain tuple and shrinks well) and fitted to a
 * program by `materialize`: keys and values are cut or padded to the map's sizes.
 */
import fc from 'fast-check';
import type { Program, ProgType } from '../../isa/program.js';
import { smallerBytes } from './bytes.js';
import { Draw } from './draw.js';

export interface MapFillInput {
  /** Index into program.maps (taken modulo its length). */
  map: number;
  key: Uint8Array;
  value: Uint8Array;
}

export interface FuzzInput {
  packet: Uint8Array;
  /** Context bytes for types whose ctx is plain data (kprobe's pt_regs); ignored for packet types. */
  ctx: Uint8Array;
  maps: MapFillInput[];
  seed: number;
}

/** One map entry of a concrete run, sized for its map. */
export interface MapFill {
  map: number;
  key: Uint8Array;
  value: Uint8Array;
}

/** A FuzzInput fitted to a program: what the VM, the JIT and the kernel are given. */
export interface ConcreteInput {
  packet?: Uint8Array;
  ctx?: Uint8Array;
  fills: MapFill[];
  seed: number;
}

const NET_TYPES: ReadonlySet<ProgType> = new Set(['socket_filter', 'sched_cls', 'sched_act', 'xdp', 'cgroup_skb', 'lwt_in', 'lwt_out', 'lwt_xmit', 'sk_skb']);
const CTX_SIZES: Partial<Record<ProgType, number>> = { kprobe: 168, perf_event: 184, raw_tracepoint: 96 };
/** Ethernet header length: BPF_PROG_TEST_RUN refuses shorter packets. */
export const MIN_PACKET = 14;

/** An Ethernet + IPv4 + TCP header template, so parsers get past their first checks. */
const IPV4_TCP = Uint8Array.from([
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00,
  0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
  0x30, 0x39, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0x20, 0, 0, 0, 0, 0,
]);

const ZERO_PACKET = new Uint8Array(MIN_PACKET);
const ZERO_CTX = new Uint8Array(184);

/** Room an input's byte arrays may need: a 128-byte packet (or the 54-byte template and a 64-byte tail), a 184-byte ctx, 4 map entries of 8 + 64. */
const INPUT_ROOM = 1024;
const ARENA = 64 * 1024;
/** Where inputs' byte arrays are drawn, one after the other; a new one when full (the old stays alive while inputs view it). */
let arena = new Uint8Array(ARENA);
let arenaUsed = 0;
const TEMPLATE = IPV4_TCP.length;

/**
 * One input, drawn in one pass: a packet (random bytes, the IPv4/TCP template cut somewhere with
 * random bytes after it, or zeros), ctx bytes (random or zeros) and map entries. The arrays are
 * views of a shared arena: allocated one by one (a typed array over 64 bytes gets an off-heap
 * store of its own, at ten times the cost of a view) they were most of the cost of a case's inputs.
 * Nothing writes to input bytes (the engines copy them; shrinking makes new arrays).
 */
function drawInput(d: Draw): FuzzInput {
  if (arenaUsed + INPUT_ROOM > ARENA) { arena = new Uint8Array(ARENA); arenaUsed = 0; }
  const a = arena;
  const base = arenaUsed;
  let used = base;
  let packet = ZERO_PACKET;
  switch (d.uniform(0, 2)) {
    case 0: {
      const n = d.bytesInto(a, used, MIN_PACKET, 128);
      packet = new Uint8Array(a.buffer, used, n);
      used += n;
      break;
    }
    case 1: {
      // the tail after the template's room, then the template's first `cut` bytes just before it
      const tail = d.bytesInto(a, used + TEMPLATE, 0, 64);
      const cut = Math.max(MIN_PACKET, d.int(0, TEMPLATE));
      const at = used + TEMPLATE - cut;
      for (let i = 0; i < cut; i++) a[at + i] = IPV4_TCP[i]!;
      packet = new Uint8Array(a.buffer, at, cut + tail);
      used += TEMPLATE + tail;
      break;
    }
    default: break;
  }
  let ctx = ZERO_CTX;
  if (d.bool()) { ctx = new Uint8Array(a.buffer, used, 184); used += d.bytesInto(a, used, 184, 184); }
  const n = d.length(0, 4);
  const maps: MapFillInput[] = [];
  const outer = d.beginItems();
  for (let i = 0; i < n; i++) {
    const map = d.int(0, 3);
    const key = new Uint8Array(a.buffer, used, 8);
    if (d.bool()) d.bytesInto(a, used, 8, 8);
    else { a[used] = d.int(0, 20); a.fill(0, used + 1, used + 8); }
    used += 8;
    const value = new Uint8Array(a.buffer, used, 64);
    used += d.bytesInto(a, used, 64, 64);
    maps.push({ map, key, value });
  }
  d.endItems(outer);
  arenaUsed = used;
  return { packet, ctx, maps, seed: d.int(0, 0x7fffffff) };
}

/** Shrink candidates of an input: fewer map entries, then smaller packet, ctx, entries and seed. */
function* smallerInput(x: FuzzInput): Generator<FuzzInput> {
  const n = x.maps.length;
  if (n > 0) yield { ...x, maps: [] };
  if (n > 1) for (let i = 0; i < n; i++) yield { ...x, maps: [...x.maps.slice(0, i), ...x.maps.slice(i + 1)] };
  for (const packet of smallerBytes(x.packet, MIN_PACKET)) yield { ...x, packet };
  for (const ctx of smallerBytes(x.ctx, x.ctx.length)) yield { ...x, ctx };
  for (let i = 0; i < n; i++) {
    const e = x.maps[i]!;
    const at = (f: MapFillInput): FuzzInput => ({ ...x, maps: [...x.maps.slice(0, i), f, ...x.maps.slice(i + 1)] });
    if (e.map !== 0) yield at({ ...e, map: 0 });
    for (const key of smallerBytes(e.key, e.key.length)) yield at({ ...e, key });
    for (const value of smallerBytes(e.value, e.value.length)) yield at({ ...e, value });
  }
  if (x.seed !== 0) yield { ...x, seed: 0 };
  if (x.seed > 1) yield { ...x, seed: x.seed >>> 1 };
}

/** Run inputs drawn in one pass from the random stream (draw.ts), shrunk by smallerInput. */
class InputArbitrary extends fc.Arbitrary<FuzzInput> {
  generate(mrng: fc.Random, biasFactor: number | undefined): fc.Value<FuzzInput> {
    return new fc.Value(drawInput(new Draw(mrng, biasFactor)), undefined);
  }

  canShrinkWithoutContext(value: unknown): value is FuzzInput {
    const x = value as FuzzInput;
    return typeof value === 'object' && value !== null && x.packet instanceof Uint8Array && x.ctx instanceof Uint8Array && Array.isArray(x.maps) && typeof x.seed === 'number';
  }

  shrink(value: FuzzInput): fc.Stream<fc.Value<FuzzInput>> {
    return new fc.Stream(smallerInput(value)).map((x) => new fc.Value(x, undefined));
  }
}

export const inputArb: fc.Arbitrary<FuzzInput> = new InputArbitrary();

const FILLED_TYPES: ReadonlySet<string> = new Set(['array', 'percpu_array', 'hash', 'lru_hash', 'percpu_hash']);

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
};

/** Copies the bytes of `from` that fit into `to` (a loop: subarray + set allocates a view per call). */
function copyInto(to: Uint8Array, from: Uint8Array): void {
  const n = Math.min(to.length, from.length);
  for (let i = 0; i < n; i++) to[i] = from[i]!;
}

/** Fits an input to a program: sized map entries (array keys in range), ctx only where it is plain data. */
export function materialize(program: Program, input: FuzzInput): ConcreteInput {
  const out: ConcreteInput = { fills: [], seed: input.seed };
  if (NET_TYPES.has(program.type)) {
    let p = input.packet;
    // BPF_PROG_TEST_RUN wants an Ethernet header, and a whole IPv4/IPv6 header when the EtherType says so.
    const need = p[12] === 0x08 && p[13] === 0x00 ? 34 : p[12] === 0x86 && p[13] === 0xdd ? 54 : MIN_PACKET;
    if (p.length < need) { p = new Uint8Array(need); p.set(input.packet); }
    out.packet = p;
  }
  const ctxSize = CTX_SIZES[program.type];
  // a view, not a copy: the engines copy the ctx into their own buffers and never write to the input
  if (ctxSize !== undefined) out.ctx = input.ctx.length > ctxSize ? input.ctx.subarray(0, ctxSize) : input.ctx;
  const maps = program.maps;
  if (maps.length === 0) return out;
  /** The distinct keys filled so far, per map. */
  const keys: { map: number; key: Uint8Array }[] = [];
  for (const f of input.maps) {
    const map = f.map % maps.length;
    const spec = maps[map]!;
    if (!FILLED_TYPES.has(spec.type)) continue;
    const key = new Uint8Array(spec.keySize);
    copyInto(key, f.key);
    if (spec.type === 'array' || spec.type === 'percpu_array') {
      // the index (little-endian u32) taken modulo max_entries
      const idx = ((key[0]! | (key[1]! << 8) | (key[2]! << 16) | (key[3]! << 24)) >>> 0) % Math.max(1, spec.maxEntries);
      key[0] = idx; key[1] = idx >>> 8; key[2] = idx >>> 16; key[3] = idx >>> 24;
    }
    // a hash map takes at most maxEntries distinct keys (more would fail with E2BIG in the kernel)
    let seen = false;
    let distinct = 0;
    for (const k of keys) {
      if (k.map !== map) continue;
      if (sameBytes(k.key, key)) { seen = true; break; }
      distinct++;
    }
    if (!seen) {
      if (distinct >= spec.maxEntries) continue;
      keys.push({ map, key });
    }
    // the input's bytes themselves where they are long enough (maps copy what they are given)
    let value: Uint8Array;
    if (f.value.length >= spec.valueSize) value = f.value.length === spec.valueSize ? f.value : f.value.subarray(0, spec.valueSize);
    else { value = new Uint8Array(spec.valueSize); value.set(f.value); }
    out.fills.push({ map, key, value });
  }
  return out;
}

/** Hex of bytes, for findings and messages. */
export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

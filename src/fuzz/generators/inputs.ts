/**
 * Run inputs: packet bytes, ctx bytes, map contents and a PRNG seed. They are generated
 * independently of the program (so a case is a plain tuple and shrinks well) and fitted to a
 * program by `materialize`: keys and values are cut or padded to the map's sizes.
 */
import fc from 'fast-check';
import type { Program, ProgType } from '../../isa/program.js';
import { bytesArb } from './bytes.js';

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

const packetArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  bytesArb({ minLength: MIN_PACKET, maxLength: 128 }),
  fc.tuple(bytesArb({ maxLength: 64 }), fc.nat(IPV4_TCP.length)).map(([tail, cut]) => {
    const p = new Uint8Array(Math.max(MIN_PACKET, cut) + tail.length);
    p.set(IPV4_TCP.subarray(0, Math.max(MIN_PACKET, cut)));
    p.set(tail, Math.max(MIN_PACKET, cut));
    return p;
  }),
  fc.constant(new Uint8Array(MIN_PACKET)),
);

const keyArb = fc.oneof(
  fc.integer({ min: 0, max: 20 }).map((k) => Uint8Array.from([k, 0, 0, 0, 0, 0, 0, 0])),
  bytesArb({ minLength: 8, maxLength: 8 }),
);

export const inputArb: fc.Arbitrary<FuzzInput> = fc.record({
  packet: packetArb,
  ctx: fc.oneof(bytesArb({ minLength: 184, maxLength: 184 }), fc.constant(new Uint8Array(184))),
  maps: fc.array(fc.record({ map: fc.nat(3), key: keyArb, value: bytesArb({ minLength: 64, maxLength: 64 }) }), { maxLength: 4 }),
  seed: fc.nat(),
});

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
  if (ctxSize !== undefined) out.ctx = input.ctx.slice(0, ctxSize);
  const keysOf = new Map<number, Set<string>>();
  for (const f of input.maps) {
    if (program.maps.length === 0) break;
    const map = f.map % program.maps.length;
    const spec = program.maps[map]!;
    if (spec.type !== 'array' && spec.type !== 'percpu_array' && spec.type !== 'hash' && spec.type !== 'lru_hash' && spec.type !== 'percpu_hash') continue;
    const key = new Uint8Array(spec.keySize);
    key.set(f.key.subarray(0, spec.keySize));
    if (spec.type === 'array' || spec.type === 'percpu_array') {
      const idx = new DataView(key.buffer).getUint32(0, true) % Math.max(1, spec.maxEntries);
      new DataView(key.buffer).setUint32(0, idx, true);
    }
    // a hash map takes at most maxEntries distinct keys (more would fail with E2BIG in the kernel)
    const keys = keysOf.get(map) ?? new Set<string>();
    keysOf.set(map, keys);
    const k = hex(key);
    if (!keys.has(k) && keys.size >= spec.maxEntries) continue;
    keys.add(k);
    const value = new Uint8Array(spec.valueSize);
    value.set(f.value.subarray(0, spec.valueSize));
    out.fills.push({ map, key, value });
  }
  return out;
}

/** Hex of bytes, for findings and messages. */
export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/**
 * Builds a run's context region and packet from user bytes (--ctx, --packet), the way
 * BPF_PROG_TEST_RUN does, and serves the program's ctx loads/stores: fields that the kernel
 * turns into pointers (data, data_end, data_meta) yield pointers into the packet region.
 */
import { InputError } from '../isa/errors.js';
import type { ProgType } from '../isa/program.js';
import { SKB_CTX_IN_FIELDS, SKB_CTX_OUT_FIELDS, SKB_TARGET_SIZE, SK_BUFF_FIELDS, SK_BUFF_SIZE, TRACEPOINT_MAX, ctxLayout, fieldAt, type AccessOptions, type CtxAccess, type CtxField, type CtxLayout } from './context/index.js';
import type { PacketState } from './env.js';
import { VmError } from './errors.js';
import { type CtxHandler, Memory, MemoryFault } from './memory.js';
import { type SocketRef, type SocketSpec, makeSocket } from './sockets.js';

/** XDP_PACKET_HEADROOM, and the test_run frame (one page, minus skb_shared_info at the end). */
export const XDP_HEADROOM = 256;
export const XDP_FRAME = 4096;
export const SKB_SHARED_INFO = 320;
export const XDP_FRAME_STRUCT = 40;
/** NET_SKB_PAD + NET_IP_ALIGN: skb headroom in test runs (64 on x86-64, where NET_IP_ALIGN is 0; skb->data - skb->head in the kernel). */
export const SKB_HEADROOM = 64;
export const ETH_HLEN = 14;
/** Room after an skb's data for skb_change_tail to grow into. */
export const SKB_TAILROOM = 4096;

const SKB_TYPES: ReadonlySet<ProgType> = new Set(['socket_filter', 'sched_cls', 'sched_act', 'cgroup_skb', 'lwt_in', 'lwt_out', 'lwt_xmit', 'sk_skb']);
/** Types whose test-run skb starts at the MAC header (is_l2 in bpf_prog_test_run_skb); the others start after it. */
const L2_TYPES: ReadonlySet<ProgType> = new Set(['sched_cls', 'sched_act']);

/**
 * skb->pkt_type as eth_type_trans() sets it on the test-run device (loopback: address and
 * broadcast address all zero): multicast bit set -> PACKET_MULTICAST (2); our address ->
 * PACKET_HOST (0); any other unicast -> PACKET_OTHERHOST (3).
 */
function pktType(d: Uint8Array): number {
  if (d.length < 6) return 0;
  if ((d[0]! & 1) !== 0) return 2;
  for (let i = 0; i < 6; i++) if (d[i] !== 0) return 3;
  return 0;
}

/** ETH_P_802_3_MIN: EtherType values below it are 802.3 length fields. */
const ETH_P_802_3_MIN = 0x600;

/**
 * skb->protocol as eth_type_trans() returns it, as the __be16 bytes read little-endian (what a
 * u16 ctx load gives): the EtherType when it is one, else htons(ETH_P_802_3) for raw 802.3
 * (Novell IPX: the payload starts with 0xffff) and htons(ETH_P_802_2) for LLC frames.
 */
function ethProtocol(d: Uint8Array): number {
  const type = (d[12]! << 8) | d[13]!;
  if (type >= ETH_P_802_3_MIN) return d[12]! | (d[13]! << 8);
  const raw = d.length >= ETH_HLEN + 2 && d[14] === 0xff && d[15] === 0xff;
  return (raw ? 0x0001 : 0x0004) << 8;
}

const SKB_FIELD = Object.fromEntries(SK_BUFF_FIELDS.map((f) => [f.name, f])) as Record<string, CtxField>;

/**
 * Why BPF_PROG_TEST_RUN would refuse `ctx` as the ctx_in of an skb program (EINVAL), or null:
 * only the fields it copies into the skb may be non-zero. The VM itself runs such a ctx as a
 * what-if (explain's witnesses set any field): see fillSkb.
 */
export function skbCtxInProblem(ctx: Uint8Array, packetLen?: number): string | null {
  const allowed = new Uint8Array(SK_BUFF_SIZE);
  for (const n of SKB_CTX_IN_FIELDS) allowed.fill(1, SKB_FIELD[n]!.off, SKB_FIELD[n]!.off + SKB_FIELD[n]!.size);
  for (let i = 0; i < ctx.length; i++) {
    if (ctx[i] !== 0 && !allowed[i]) {
      const f = fieldAt(SK_BUFF_FIELDS, i);
      return `ctx byte ${i} (${f ? `__sk_buff.${f.name}` : 'padding'}) must be zero: BPF_PROG_TEST_RUN only takes ${SKB_CTX_IN_FIELDS.join(', ')}`;
    }
  }
  const v = new DataView(ctx.buffer, ctx.byteOffset, ctx.length);
  if (ctx.length >= 168 && v.getUint32(164, true) > 65535) return '__sk_buff.gso_segs exceeds GSO_MAX_SEGS (65535)';
  const wire = ctx.length >= 164 ? v.getUint32(160, true) : 0;
  if (wire > 65536 || (wire !== 0 && packetLen !== undefined && wire < packetLen)) return `__sk_buff.wire_len ${wire} must be 0 or lie in [skb->len, 65536]`;
  return null;
}

/**
 * The skb fields a test run derives from the frame (bpf_prog_test_run_skb): len, pkt_type and
 * protocol from eth_type_trans() on the loopback device (address and broadcast address all zero),
 * ifindex 1 (or ctx_in's ifindex), wire_len (ctx_in's, or skb->len when a ctx_in was given), and
 * the dummy socket's family and addresses from the IPv4/IPv6 header.
 */
function fillSkb(bytes: Uint8Array, frame: Uint8Array, packet: PacketState, ctxIn: Uint8Array | undefined, view?: DataView): void {
  const dv = view ?? new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const len = packet.end - packet.data;
  dv.setUint32(0, len, true);
  // a field a valid ctx_in leaves zero gets the test run's value; a non-zero one (not a valid
  // ctx_in: the kernel would refuse it) is kept as a what-if
  const free = (off: number, size: number): boolean => {
    for (let i = off; i < off + size; i++) if (bytes[i] !== 0) return false; // no subarray: this runs for every skb run
    return true;
  };
  if (frame.length >= ETH_HLEN) {
    if (free(4, 4)) dv.setUint32(4, pktType(frame), true);
    const proto = ethProtocol(frame);
    if (free(16, 4)) dv.setUint32(16, proto, true);
    // the L3 header's bytes copied by index (no subarray per field: this runs for every skb run)
    const l3 = ETH_HLEN, l3len = frame.length - ETH_HLEN;
    const copy = (from: number, n: number, to: number): void => { for (let i = 0; i < n; i++) bytes[to + i] = frame[l3 + from + i]!; };
    if (free(88, 44)) {
      if (proto === 0x0008 && l3len >= 20) {
        dv.setUint32(88, 2, true); // AF_INET
        copy(16, 4, 92); // remote_ip4 = sk_daddr = daddr
        copy(12, 4, 96); // local_ip4 = sk_rcv_saddr = saddr
      } else if (proto === 0xdd86 && l3len >= 40) {
        dv.setUint32(88, 10, true); // AF_INET6
        copy(24, 16, 100); // remote_ip6 = daddr
        copy(8, 16, 116); // local_ip6 = saddr
      }
    }
  }
  if (dv.getUint32(40, true) <= 1) dv.setUint32(40, 1, true); // ifindex: the loopback device unless ctx_in names another
  if (ctxIn) {
    // cb->pkt_len: ctx_in's wire_len, or skb->len when convert___skb_to_skb ran (= the packet the program sees)
    // (a wire_len below len or above GSO_LEGACY_MAX_SIZE is EINVAL in the kernel; kept as a what-if here)
    if (dv.getUint32(160, true) === 0) dv.setUint32(160, len, true);
  }
}

export function isSkbType(t: ProgType): boolean { return SKB_TYPES.has(t); }

/**
 * The bytes BPF_PROG_TEST_RUN returns as data_out for a packet `data..data_end` after the run:
 * for skb types that start at the network header the kernel pushes the Ethernet header back as
 * 14 zero bytes (bpf_prog_test_run_skb: memset(__skb_push(skb, hh_len), 0, hh_len)).
 */
export function testRunDataOut(t: ProgType, packet: Uint8Array): Uint8Array {
  if (!SKB_TYPES.has(t) || L2_TYPES.has(t)) return packet;
  const out = new Uint8Array(ETH_HLEN + packet.length);
  out.set(packet, ETH_HLEN);
  return out;
}

export interface ContextInput {
  ctx?: Uint8Array;
  packet?: Uint8Array;
  expectedAttachType?: number;
}

/**
 * Buffers reused from run to run (allocating ArrayBuffers per run dominates short runs), each
 * with a DataView over it kept for the memory region it becomes (RegionOptions.view).
 */
export class ContextBuffers {
  private frame: Uint8Array | null = null;
  private frameView: DataView | null = null;
  private skb: Uint8Array | null = null;
  private skbView: DataView | null = null;
  private ctx = new Map<number, { bytes: Uint8Array; view: DataView }>();
  /**
   * A zeroed buffer of exactly `n` bytes for packets (XDP frames, skb heads): a view of the
   * largest buffer asked for so far, as skb sizes follow the packet's length from run to run.
   */
  packet(n: number, xdp: boolean): Uint8Array {
    const had = xdp ? this.frame : this.skb;
    let b = had;
    if (!b || b.buffer.byteLength < n) {
      b = new Uint8Array(n);
    } else {
      if (b.length !== n) b = new Uint8Array(b.buffer, 0, n);
      b.fill(0);
    }
    if (b !== had) {
      const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
      if (xdp) { this.frame = b; this.frameView = v; } else { this.skb = b; this.skbView = v; }
    }
    return b;
  }
  /** A zeroed ctx buffer of `n` bytes. */
  ctxBytes(n: number): Uint8Array {
    const have = this.ctx.get(n);
    if (!have) {
      const bytes = new Uint8Array(n);
      this.ctx.set(n, { bytes, view: new DataView(bytes.buffer) });
      return bytes;
    }
    have.bytes.fill(0);
    return have.bytes;
  }
  /** The DataView over `b` when it is the buffer one of these last handed out, else undefined. */
  viewOf(b: Uint8Array): DataView | undefined {
    if (b === this.frame) return this.frameView!;
    if (b === this.skb) return this.skbView!;
    const c = this.ctx.get(b.length);
    return c && c.bytes === b ? c.view : undefined;
  }
}

const fresh = {
  packet: (n: number): Uint8Array => new Uint8Array(n),
  ctxBytes: (n: number): Uint8Array => new Uint8Array(n),
};

export interface BuiltContext {
  ctxRegion: number;
  packet: PacketState | null;
  layout: CtxLayout;
}

/** Adds the ctx (and packet) regions of a `type` program to `mem`. Throws InputError for unusable input. */
export function buildContext(mem: Memory, type: ProgType, input: ContextInput, pool: Pick<ContextBuffers, 'packet' | 'ctxBytes'> & Partial<Pick<ContextBuffers, 'viewOf'>> = fresh): BuiltContext {
  const layout = ctxLayout(type);
  if (!layout) throw new InputError('unsupported', `program type ${type} has no context model (supported: socket_filter, sched_cls, sched_act, cgroup_skb, xdp, kprobe, tracepoint, raw_tracepoint, perf_event)`);
  let packet: PacketState | null = null;
  const skb = isSkbType(type);
  if (skb || type === 'xdp') {
    const data = input.packet ?? new Uint8Array(0);
    if (type === 'xdp') {
      const max = XDP_FRAME - XDP_HEADROOM - SKB_SHARED_INFO;
      if (data.length > max) throw new InputError('packet', `packet of ${data.length} bytes exceeds the XDP test frame (${max} bytes)`);
      const buf = pool.packet(XDP_FRAME, true);
      buf.set(data, XDP_HEADROOM);
      const region = mem.add('packet', buf, { start: XDP_HEADROOM, end: XDP_HEADROOM + data.length, origin: XDP_HEADROOM, writable: true, view: pool.viewOf?.(buf) });
      packet = { region, buf, meta: XDP_HEADROOM, data: XDP_HEADROOM, end: XDP_HEADROOM + data.length, minHead: XDP_FRAME_STRUCT, maxEnd: XDP_FRAME - SKB_SHARED_INFO };
    } else {
      if (input.packet && data.length < ETH_HLEN)
        throw new InputError('packet', `packet of ${data.length} bytes is shorter than an Ethernet header (${ETH_HLEN})`);
      const buf = pool.packet(SKB_HEADROOM + data.length + SKB_TAILROOM, false);
      buf.set(data, SKB_HEADROOM);
      const end = SKB_HEADROOM + data.length;
      // as BPF_PROG_TEST_RUN: eth_type_trans() pulls the Ethernet header; only tc pushes it back
      const start = L2_TYPES.has(type) || data.length < ETH_HLEN ? SKB_HEADROOM : SKB_HEADROOM + ETH_HLEN;
      const region = mem.add('packet', buf, { start, end, origin: start, writable: type !== 'socket_filter' && type !== 'cgroup_skb', view: pool.viewOf?.(buf) });
      packet = { region, buf, meta: start, data: start, end, minHead: 0, maxEnd: buf.length };
      if (data.length >= ETH_HLEN) { packet.mac = SKB_HEADROOM; packet.network = SKB_HEADROOM + ETH_HLEN; }
    }
  }
  const bytes = pool.ctxBytes(layout.size);
  if (type === 'tracepoint') {
    // the raw record is what the user gave (reads past it are out of bounds); without one, a zeroed
    // record of the largest size the verifier lets a program read
    const rec = pool.ctxBytes(input.ctx ? Math.max(input.ctx.length, 8) : TRACEPOINT_MAX);
    if (input.ctx) rec.set(input.ctx);
    const region = mem.add('ctx', rec, { writable: false, view: pool.viewOf?.(rec) });
    mem.ctx = new CtxRegion(mem, region, layout, null, input.expectedAttachType);
    return { ctxRegion: region, packet, layout };
  }
  if (input.ctx) {
    if (input.ctx.length > layout.size) throw new InputError('ctx', `ctx of ${input.ctx.length} bytes is larger than ${layout.struct} (${layout.size} bytes)`);
    bytes.set(input.ctx);
  }
  if (skb && packet) fillSkb(bytes, input.packet ?? new Uint8Array(0), packet, input.ctx, pool.viewOf?.(bytes));
  else if (type === 'xdp' && !input.ctx) {
    new DataView(bytes.buffer).setUint32(12, 1, true); // ingress_ifindex: loopback
  }
  const writable = skb;
  const region = mem.add('ctx', bytes, { writable, view: pool.viewOf?.(bytes) });
  mem.ctx = new CtxRegion(mem, region, layout, packet, input.expectedAttachType);
  return { ctxRegion: region, packet, layout };
}

/**
 * The layouts' answers to ctx accesses (layout.access), per layout and expected attach type
 * (-1: none), by accessKey: a pure function of the access, asked for every ctx load and store of
 * every run (a fuzz program's ctx loads each walked the type's is_valid_access rules by field name).
 */
const accessCache = new WeakMap<CtxLayout, Map<number, Map<number, CtxAccess>>>();
/** Distinct accesses remembered per layout and attach type (an unverified program may try any offset). */
const ACCESS_CACHE_MAX = 4096;

function accessCacheFor(layout: CtxLayout, attach: number | undefined): Map<number, CtxAccess> {
  let byAttach = accessCache.get(layout);
  if (!byAttach) accessCache.set(layout, (byAttach = new Map()));
  const a = attach ?? -1;
  let m = byAttach.get(a);
  if (!m) byAttach.set(a, (m = new Map()));
  return m;
}

/** One number per (off, size, signed, write): off * 64 + size * 4 + signed * 2 + write (size < 16). */
const accessKey = (off: number, size: number, signed: boolean, write: boolean): number => off * 64 + size * 4 + (signed ? 2 : 0) + (write ? 1 : 0);

/** The ctx handler: checks each access against the layout and produces packet pointers. */
export class CtxRegion implements CtxHandler {
  private readonly view: DataView;
  private readonly bytes: Uint8Array;
  private readonly accesses: Map<number, CtxAccess>;
  constructor(
    private readonly mem: Memory,
    readonly region: number,
    readonly layout: CtxLayout,
    readonly packet: PacketState | null,
    private readonly attach: number | undefined,
  ) {
    this.bytes = mem.bytes[region]!;
    this.view = mem.views[region]!;
    this.skb = layout.struct === '__sk_buff';
    this.accesses = accessCacheFor(layout, attach);
  }

  /** layout.access for this run's type and attach type, remembered (see accessCache). */
  private access(off: number, size: number, kind: 'read' | 'write', signed: boolean): CtxAccess {
    const key = accessKey(off, size, signed, kind === 'write');
    let a = this.accesses.get(key);
    if (a === undefined) {
      const opts: AccessOptions = kind === 'read' ? { isLdsx: signed } : {};
      if (this.attach !== undefined) opts.expectedAttachType = this.attach;
      a = this.layout.access(off, size, kind, opts);
      if (this.accesses.size < ACCESS_CACHE_MAX) this.accesses.set(key, a);
    }
    return a;
  }
  private readonly skb: boolean;
  private sockRegion = 0;

  /**
   * skb->sk of a test run: bpf_prog_test_run_skb's dummy socket, a full socket in TCP_CLOSE with
   * no type or protocol, whose family and addresses come from the packet's IP header (the
   * __sk_buff family / local / remote fields fillSkb derived from it). One region per run.
   */
  private testRunSocket(): number {
    if (this.sockRegion) return this.sockRegion;
    const b = this.bytes;
    const fam = new DataView(b.buffer, b.byteOffset + 88, 4).getUint32(0, true);
    const v6 = fam === 10;
    const spec: SocketSpec = fam === 2 || v6
      ? { family: v6 ? 'ipv6' : 'ipv4', protocol: 'none', state: 'bound', localPort: 0,
        localAddr: b.slice(v6 ? 116 : 96, v6 ? 132 : 100), remoteAddr: b.slice(v6 ? 100 : 92, v6 ? 116 : 96) }
      : { family: 'unspec', protocol: 'none', state: 'bound', localPort: 0 };
    const ref: SocketRef = { socket: makeSocket(spec), released: false };
    // never bound or connected: an IPv6 dummy has no IPv4 view of its addresses (src_ip4 / dst_ip4 read 0)
    if (v6) { ref.socket.image.fill(0, 24, 28); ref.socket.image.fill(0, 52, 56); }
    this.sockRegion = this.mem.add('sock', ref.socket.image, { writable: false, owner: ref });
    return this.sockRegion;
  }

  load(off: number, size: number, out: Int32Array, pc: number, signed: boolean): void {
    const a = this.access(off, size, 'read', signed);
    if (!a.ok) throw new MemoryFault(pc, 'ctx_access', 'ctx', off, size, a.reason);
    if (off + size > this.bytes.length) throw new MemoryFault(pc, 'out_of_bounds', 'ctx', off, size);
    const p = this.packet;
    if (a.pointer) {
      if ((a.pointer === 'packet' || a.pointer === 'packet_end' || a.pointer === 'packet_meta') && p) {
        out[1] = Memory.hiOf(p.region);
        out[0] = a.pointer === 'packet' ? p.data : a.pointer === 'packet_end' ? p.end : p.meta;
      } else if (a.pointer === 'btf_trusted' || a.pointer === 'socket') {
        // a kernel object (netfilter's sk_buff, nf_hook_state): the VM has no model of its memory
        throw new VmError('unsupported', pc, `the VM has no kernel object behind ${this.layout.struct}.${a.field?.name} (struct ${a.field?.btfStruct ?? 'bpf_sock'})`);
      } else if (a.pointer === 'sock_common_or_null' && this.skb && p) {
        out[1] = Memory.hiOf(this.testRunSocket());
        out[0] = 0;
      } else { out[0] = 0; out[1] = 0; } // no socket / flow keys in a test run: NULL
      return;
    }
    const v = this.view;
    let at = off;
    let width = size;
    if (this.skb && a.field) {
      const f = a.field;
      if (f.off === 0 && p) v.setUint32(0, p.end - p.data, true); // skb->len follows the packet (skb_change_tail, ...)
      // a narrow load no narrower than the sk_buff member returns the whole member (convert_ctx_accesses
      // masks only loads narrower than target_size)
      const target = SKB_TARGET_SIZE[f.name];
      if (target !== undefined && size < a.fieldSize && size >= target) { at = f.off; width = a.fieldSize; }
    }
    switch (width) {
      case 1: out[0] = v.getUint8(at); break;
      case 2: out[0] = v.getUint16(at, true); break;
      case 4: out[0] = v.getInt32(at, true); break;
      default: out[0] = v.getInt32(at, true); out[1] = v.getInt32(at + 4, true); return;
    }
    out[1] = 0;
    if (signed) { // BPF_MEMSX: the converted value, sign-extended from the access size
      const sh = 32 - 8 * size;
      out[0] = (out[0]! << sh) >> sh;
      out[1] = out[0]! >> 31;
    }
  }

  store(off: number, size: number, lo: number, hi: number, pc: number): void {
    const a = this.access(off, size, 'write', false);
    if (!a.ok) throw new MemoryFault(pc, 'ctx_access', 'ctx', off, size, a.reason);
    if (off + size > this.bytes.length) throw new MemoryFault(pc, 'out_of_bounds', 'ctx', off, size);
    const v = this.view;
    if (this.skb && a.field && SKB_TARGET_SIZE[a.field.name] === 2) {
      // u16 members (tc_index, tc_classid, queue_mapping) keep the low half; queue_mapping
      // ignores values >= NO_QUEUE_MAPPING (0xffff)
      if (a.field.name === 'queue_mapping' && (lo >>> 0) >= 0xffff) return;
      v.setUint32(a.field.off, lo & 0xffff, true);
      return;
    }
    switch (size) {
      case 1: v.setUint8(off, lo & 0xff); break;
      case 2: v.setUint16(off, lo & 0xffff, true); break;
      case 4: v.setInt32(off, lo, true); break;
      default: v.setInt32(off, lo, true); v.setInt32(off + 4, hi, true);
    }
  }

  /**
   * The ctx bytes a run hands back: for __sk_buff what convert_skb_to___skb copies into
   * BPF_PROG_TEST_RUN's ctx_out (mark, priority, ifindexes, cb, tstamp, wire_len, gso_segs,
   * hwtstamp; zero elsewhere); for other types the struct as the program left it.
   */
  output(): Uint8Array {
    if (!this.skb) return this.bytes.slice();
    const out = new Uint8Array(this.bytes.length);
    for (const n of SKB_CTX_OUT_FIELDS) {
      const f = SKB_FIELD[n]!;
      out.set(this.bytes.subarray(f.off, f.off + f.size), f.off);
    }
    return out;
  }
}

/**
 * Builds a run's context region and packet from user bytes (--ctx, --packet), the way
 * BPF_PROG_TEST_RUN does, and serves the program's ctx loads/stores: fields that the kernel
 * turns into pointers (data, data_end, data_meta) yield pointers into the packet region.
 */
import { InputError } from '../isa/errors.js';
import type { ProgType } from '../isa/program.js';
import { TRACEPOINT_MAX, ctxLayout, type CtxLayout } from './context/index.js';
import type { PacketState } from './env.js';
import { type CtxHandler, Memory, MemoryFault } from './memory.js';

/** XDP_PACKET_HEADROOM, and the test_run frame (one page, minus skb_shared_info at the end). */
export const XDP_HEADROOM = 256;
export const XDP_FRAME = 4096;
export const SKB_SHARED_INFO = 320;
export const XDP_FRAME_STRUCT = 40;
/** NET_SKB_PAD + NET_IP_ALIGN: skb headroom in test runs. */
export const SKB_HEADROOM = 66;
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
  return d.subarray(0, 6).every((b) => b === 0) ? 0 : 3;
}

export function isSkbType(t: ProgType): boolean { return SKB_TYPES.has(t); }

export interface ContextInput {
  ctx?: Uint8Array;
  packet?: Uint8Array;
  expectedAttachType?: number;
}

/** Buffers reused from run to run (allocating ArrayBuffers per run dominates short runs). */
export class ContextBuffers {
  private frame: Uint8Array | null = null;
  private skb: Uint8Array | null = null;
  private ctx = new Map<number, Uint8Array>();
  /** A zeroed buffer of exactly `n` bytes for packets (XDP frames, skb heads). */
  packet(n: number, xdp: boolean): Uint8Array {
    let b = xdp ? this.frame : this.skb;
    if (!b || b.length !== n) { b = new Uint8Array(n); if (xdp) this.frame = b; else this.skb = b; }
    else b.fill(0);
    return b;
  }
  /** A zeroed ctx buffer of `n` bytes. */
  ctxBytes(n: number): Uint8Array {
    let b = this.ctx.get(n);
    if (!b) { b = new Uint8Array(n); this.ctx.set(n, b); } else b.fill(0);
    return b;
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
export function buildContext(mem: Memory, type: ProgType, input: ContextInput, pool: Pick<ContextBuffers, 'packet' | 'ctxBytes'> = fresh): BuiltContext {
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
      const region = mem.add('packet', buf, { start: XDP_HEADROOM, end: XDP_HEADROOM + data.length, origin: XDP_HEADROOM, writable: true });
      packet = { region, buf, meta: XDP_HEADROOM, data: XDP_HEADROOM, end: XDP_HEADROOM + data.length, minHead: XDP_FRAME_STRUCT, maxEnd: XDP_FRAME - SKB_SHARED_INFO };
    } else {
      if (input.packet && data.length < ETH_HLEN)
        throw new InputError('packet', `packet of ${data.length} bytes is shorter than an Ethernet header (${ETH_HLEN})`);
      const buf = pool.packet(SKB_HEADROOM + data.length + SKB_TAILROOM, false);
      buf.set(data, SKB_HEADROOM);
      const end = SKB_HEADROOM + data.length;
      // as BPF_PROG_TEST_RUN: eth_type_trans() pulls the Ethernet header; only tc pushes it back
      const start = L2_TYPES.has(type) || data.length < ETH_HLEN ? SKB_HEADROOM : SKB_HEADROOM + ETH_HLEN;
      const region = mem.add('packet', buf, { start, end, origin: start, writable: type !== 'socket_filter' && type !== 'cgroup_skb' });
      packet = { region, buf, meta: start, data: start, end, minHead: 0, maxEnd: buf.length };
    }
  }
  const bytes = pool.ctxBytes(layout.size);
  if (type === 'tracepoint') {
    // the raw record is what the user gave (reads past it are out of bounds); without one, a zeroed
    // record of the largest size the verifier lets a program read
    const rec = pool.ctxBytes(input.ctx ? Math.max(input.ctx.length, 8) : TRACEPOINT_MAX);
    if (input.ctx) rec.set(input.ctx);
    const region = mem.add('ctx', rec, { writable: false });
    mem.ctx = new CtxRegion(mem, region, layout, null, input.expectedAttachType);
    return { ctxRegion: region, packet, layout };
  }
  if (input.ctx) {
    if (input.ctx.length > layout.size) throw new InputError('ctx', `ctx of ${input.ctx.length} bytes is larger than ${layout.struct} (${layout.size} bytes)`);
    bytes.set(input.ctx);
  }
  if (skb && packet) {
    const dv = new DataView(bytes.buffer);
    const len = packet.end - packet.data;
    if (!input.ctx) {
      dv.setUint32(0, len, true); // len
      const frame = input.packet ?? new Uint8Array(0);
      if (frame.length >= ETH_HLEN) {
        dv.setUint16(16, frame[12]! | (frame[13]! << 8), true); // protocol (__be16 as stored)
        dv.setUint32(4, pktType(frame), true);
      }
      dv.setUint32(40, 1, true); // ifindex: test runs use the loopback device
      // wire_len stays 0: test runs never go through a qdisc that would set it
    }
  } else if (type === 'xdp' && !input.ctx) {
    new DataView(bytes.buffer).setUint32(12, 1, true); // ingress_ifindex: loopback
  }
  const writable = skb;
  const region = mem.add('ctx', bytes, { writable });
  mem.ctx = new CtxRegion(mem, region, layout, packet, input.expectedAttachType);
  return { ctxRegion: region, packet, layout };
}

/** The ctx handler: checks each access against the layout and produces packet pointers. */
export class CtxRegion implements CtxHandler {
  private readonly view: DataView;
  private readonly bytes: Uint8Array;
  constructor(
    private readonly mem: Memory,
    readonly region: number,
    readonly layout: CtxLayout,
    readonly packet: PacketState | null,
    private readonly attach: number | undefined,
  ) {
    this.bytes = mem.bytes[region]!;
    this.view = mem.views[region]!;
  }

  load(off: number, size: number, out: Int32Array, pc: number, signed: boolean): void {
    const opts = this.attach === undefined ? { isLdsx: signed } : { isLdsx: signed, expectedAttachType: this.attach };
    const a = this.layout.access(off, size, 'read', opts);
    if (!a.ok) throw new MemoryFault(pc, 'ctx_access', 'ctx', off, size, a.reason);
    if (off + size > this.bytes.length) throw new MemoryFault(pc, 'out_of_bounds', 'ctx', off, size);
    const p = this.packet;
    if (a.pointer) {
      if ((a.pointer === 'packet' || a.pointer === 'packet_end' || a.pointer === 'packet_meta') && p) {
        out[1] = Memory.hiOf(p.region);
        out[0] = a.pointer === 'packet' ? p.data : a.pointer === 'packet_end' ? p.end : p.meta;
      } else { out[0] = 0; out[1] = 0; } // no socket / flow keys in a test run: NULL
      return;
    }
    if (p && off === 0 && this.layout.struct === '__sk_buff' && size === 4) { out[0] = p.end - p.data; out[1] = 0; return; }
    const v = this.view;
    switch (size) {
      case 1: out[0] = signed ? v.getInt8(off) : v.getUint8(off); break;
      case 2: out[0] = signed ? v.getInt16(off, true) : v.getUint16(off, true); break;
      case 4: out[0] = v.getInt32(off, true); break;
      default: out[0] = v.getInt32(off, true); out[1] = v.getInt32(off + 4, true); return;
    }
    out[1] = signed ? out[0]! >> 31 : 0;
    if (size === 4 && !signed) out[1] = 0;
  }

  store(off: number, size: number, lo: number, hi: number, pc: number): void {
    const a = this.layout.access(off, size, 'write', this.attach === undefined ? {} : { expectedAttachType: this.attach });
    if (!a.ok) throw new MemoryFault(pc, 'ctx_access', 'ctx', off, size, a.reason);
    if (off + size > this.bytes.length) throw new MemoryFault(pc, 'out_of_bounds', 'ctx', off, size);
    const v = this.view;
    switch (size) {
      case 1: v.setUint8(off, lo & 0xff); break;
      case 2: v.setUint16(off, lo & 0xffff, true); break;
      case 4: v.setInt32(off, lo, true); break;
      default: v.setInt32(off, lo, true); v.setInt32(off + 4, hi, true);
    }
  }
}

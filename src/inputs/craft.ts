/**
 * Packets built by hand, with correct lengths and checksums: Ethernet (optionally 802.1Q-tagged),
 * IPv4 (options, fragments), IPv6, TCP, UDP, ICMP/ICMPv6 echo, ARP. For tests, benchmarks and
 * example captures; `syntheticTraffic` makes a deterministic mix of all of them.
 */
import type { PacketOut } from './pcap.js';

export const ETH_P = { IP: 0x0800, ARP: 0x0806, VLAN: 0x8100, IPV6: 0x86dd } as const;
export const IPPROTO = { ICMP: 1, TCP: 6, UDP: 17, ICMPV6: 58 } as const;

const cat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
};

/** The Internet checksum (RFC 1071) of `bytes`, with `initial` folded in. */
export function inetChecksum(bytes: Uint8Array, initial = 0): number {
  let sum = initial;
  for (let i = 0; i + 1 < bytes.length; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (bytes.length & 1) sum += bytes[bytes.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export interface EthOptions { dst?: Uint8Array; src?: Uint8Array; vlan?: number }

export function ethernet(type: number, payload: Uint8Array, o: EthOptions = {}): Uint8Array {
  const h = new Uint8Array(o.vlan !== undefined ? 18 : 14);
  h.set(o.dst ?? [0x02, 0, 0, 0, 0, 0x01], 0);
  h.set(o.src ?? [0x02, 0, 0, 0, 0, 0x02], 6);
  let at = 12;
  if (o.vlan !== undefined) { h[12] = 0x81; h[13] = 0x00; h[14] = (o.vlan >> 8) & 0x0f; h[15] = o.vlan & 0xff; at = 16; }
  h[at] = type >> 8;
  h[at + 1] = type & 0xff;
  return cat(h, payload);
}

export interface Ipv4Options {
  src: Uint8Array;
  dst: Uint8Array;
  proto: number;
  ttl?: number;
  id?: number;
  /** Fragment offset in 8-byte units. */
  fragOffset?: number;
  moreFragments?: boolean;
  /** IP options (padded to 4 bytes). */
  options?: Uint8Array;
}

export function ipv4(o: Ipv4Options, payload: Uint8Array): Uint8Array {
  const opt = o.options ?? new Uint8Array(0);
  const optLen = (opt.length + 3) & ~3;
  const h = new Uint8Array(20 + optLen);
  h[0] = 0x40 | ((20 + optLen) >> 2);
  const total = h.length + payload.length;
  h[2] = total >> 8; h[3] = total & 0xff;
  h[4] = ((o.id ?? 1) >> 8) & 0xff; h[5] = (o.id ?? 1) & 0xff;
  const frag = ((o.moreFragments ? 0x2000 : 0) | (o.fragOffset ?? 0)) & 0xffff;
  h[6] = frag >> 8; h[7] = frag & 0xff;
  h[8] = o.ttl ?? 64;
  h[9] = o.proto;
  h.set(o.src, 12); h.set(o.dst, 16); h.set(opt, 20);
  const c = inetChecksum(h);
  h[10] = c >> 8; h[11] = c & 0xff;
  return cat(h, payload);
}

export interface Ipv6Options { src: Uint8Array; dst: Uint8Array; next: number; hop?: number }

export function ipv6(o: Ipv6Options, payload: Uint8Array): Uint8Array {
  const h = new Uint8Array(40);
  h[0] = 0x60;
  h[4] = payload.length >> 8; h[5] = payload.length & 0xff;
  h[6] = o.next; h[7] = o.hop ?? 64;
  h.set(o.src, 8); h.set(o.dst, 24);
  return cat(h, payload);
}

/** The L4 checksum over the IPv4 or IPv6 pseudo header (src/dst as 4 or 16 bytes). */
function l4Checksum(src: Uint8Array, dst: Uint8Array, proto: number, seg: Uint8Array): number {
  const ph = src.length === 4 ? new Uint8Array(12) : new Uint8Array(40);
  ph.set(src, 0); ph.set(dst, src.length);
  if (src.length === 4) { ph[9] = proto; ph[10] = seg.length >> 8; ph[11] = seg.length & 0xff; }
  else { ph[34] = seg.length >> 8; ph[35] = seg.length & 0xff; ph[39] = proto; }
  const c = inetChecksum(cat(ph, seg));
  return c === 0 && proto === IPPROTO.UDP ? 0xffff : c;
}

export interface L4Addr { src: Uint8Array; dst: Uint8Array }

export function tcp(a: L4Addr, sport: number, dport: number, payload: Uint8Array, flags = 0x18, seq = 1): Uint8Array {
  const h = new Uint8Array(20);
  h[0] = sport >> 8; h[1] = sport & 0xff; h[2] = dport >> 8; h[3] = dport & 0xff;
  new DataView(h.buffer).setUint32(4, seq >>> 0);
  h[12] = 5 << 4; h[13] = flags; h[14] = 0xff; h[15] = 0xff;
  const seg = cat(h, payload);
  const c = l4Checksum(a.src, a.dst, IPPROTO.TCP, seg);
  seg[16] = c >> 8; seg[17] = c & 0xff;
  return seg;
}

export function udp(a: L4Addr, sport: number, dport: number, payload: Uint8Array): Uint8Array {
  const seg = cat(new Uint8Array(8), payload);
  seg[0] = sport >> 8; seg[1] = sport & 0xff; seg[2] = dport >> 8; seg[3] = dport & 0xff;
  seg[4] = seg.length >> 8; seg[5] = seg.length & 0xff;
  const c = l4Checksum(a.src, a.dst, IPPROTO.UDP, seg);
  seg[6] = c >> 8; seg[7] = c & 0xff;
  return seg;
}

/** ICMP (IPv4, a = null) or ICMPv6 echo request (type 8 / 128) or reply (0 / 129). */
export function icmpEcho(a: L4Addr | null, request: boolean, id: number, seqNo: number, payload: Uint8Array): Uint8Array {
  const m = cat(new Uint8Array(8), payload);
  m[0] = a ? (request ? 128 : 129) : request ? 8 : 0;
  m[4] = id >> 8; m[5] = id & 0xff; m[6] = seqNo >> 8; m[7] = seqNo & 0xff;
  const c = a ? l4Checksum(a.src, a.dst, IPPROTO.ICMPV6, m) : inetChecksum(m);
  m[2] = c >> 8; m[3] = c & 0xff;
  return m;
}

export function arpRequest(senderIp: Uint8Array, targetIp: Uint8Array): Uint8Array {
  const a = new Uint8Array(28);
  a.set([0, 1, 8, 0, 6, 4, 0, 1], 0);
  a.set([0x02, 0, 0, 0, 0, 0x02], 8); a.set(senderIp, 14); a.set(targetIp, 24);
  return ethernet(ETH_P.ARP, a, { dst: new Uint8Array(6).fill(0xff) });
}

/** A small deterministic PRNG (mulberry32) so the same seed makes the same capture. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const v4 = (a: number, b: number, c: number, d: number): Uint8Array => Uint8Array.of(a, b, c, d);
const v6 = (last: number): Uint8Array => { const x = new Uint8Array(16); x.set([0x20, 0x01, 0x0d, 0xb8]); x[14] = last >> 8; x[15] = last & 0xff; return x; };

/**
 * `n` packets of mixed traffic, 10 µs apart: IPv4 and IPv6 TCP/UDP/ICMP, 802.1Q-tagged frames,
 * IPv4 with options, IPv4 fragments, ARP, frames cut short by a snap length, runt frames.
 */
export function syntheticTraffic(n: number, seed = 1, startNs = 1_700_000_000_000_000_000n): PacketOut[] {
  const rnd = seededRandom(seed);
  const pick = (k: number) => Math.floor(rnd() * k);
  const out: PacketOut[] = [];
  for (let i = 0; i < n; i++) {
    const payload = Uint8Array.from({ length: pick(200) }, () => pick(256));
    const s4 = v4(10, 0, pick(4), 1 + pick(200)), d4 = v4(192, 168, 1, 1 + pick(8));
    const s6 = v6(1 + pick(300)), d6 = v6(0xffff - pick(4));
    const a4 = { src: s4, dst: d4 }, a6 = { src: s6, dst: d6 };
    const sport = 1024 + pick(60000), dport = [22, 53, 80, 443, 8080][pick(5)]!;
    const vlan = pick(10) === 0 ? { vlan: 1 + pick(4000) } : {};
    let frame: Uint8Array;
    let origLen: number | undefined;
    switch (pick(12)) {
      case 0: case 1: frame = ethernet(ETH_P.IP, ipv4({ ...a4, proto: IPPROTO.TCP, ttl: 1 + pick(255), id: i }, tcp(a4, sport, dport, payload)), vlan); break;
      case 2: case 3: frame = ethernet(ETH_P.IP, ipv4({ ...a4, proto: IPPROTO.UDP, id: i }, udp(a4, sport, dport, payload)), vlan); break;
      case 4: frame = ethernet(ETH_P.IP, ipv4({ ...a4, proto: IPPROTO.ICMP, id: i }, icmpEcho(null, pick(2) === 0, i & 0xffff, i & 0xffff, payload)), vlan); break;
      case 5: case 6: frame = ethernet(ETH_P.IPV6, ipv6({ ...a6, next: IPPROTO.TCP }, tcp(a6, sport, dport, payload)), vlan); break;
      case 7: frame = ethernet(ETH_P.IPV6, ipv6({ ...a6, next: IPPROTO.UDP }, udp(a6, sport, dport, payload)), vlan); break;
      case 8: frame = ethernet(ETH_P.IPV6, ipv6({ ...a6, next: IPPROTO.ICMPV6 }, icmpEcho(a6, pick(2) === 0, i & 0xffff, 1, payload)), vlan); break;
      case 9: { // a fragment: first (MF) or a later one
        const first = pick(2) === 0;
        frame = ethernet(ETH_P.IP, ipv4({ ...a4, proto: IPPROTO.UDP, id: i, moreFragments: first, fragOffset: first ? 0 : 1 + pick(100) }, first ? udp(a4, sport, dport, payload) : payload));
        break;
      }
      case 10: frame = pick(2) === 0 ? arpRequest(s4, d4) : ethernet(ETH_P.IP, ipv4({ ...a4, proto: IPPROTO.TCP, options: Uint8Array.of(1, 1, 1, 0) }, tcp(a4, sport, dport, payload))); break;
      default: { // cut short by the capture's snap length, or a runt
        const full = ethernet(ETH_P.IP, ipv4({ ...a4, proto: IPPROTO.TCP }, tcp(a4, sport, dport, payload)));
        const keep = pick(3) === 0 ? pick(14) : 14 + pick(40);
        frame = full.subarray(0, keep);
        origLen = full.length;
      }
    }
    out.push({ tsNs: startNs + BigInt(i) * 10_000n, data: frame, ...(origLen !== undefined && { origLen }) });
  }
  return out;
}

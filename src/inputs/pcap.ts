/**
 * Packet captures: libpcap's classic format and pcapng (both byte orders, micro/nanosecond and
 * if_tsresol timestamps, several interfaces and sections), read whole from bytes, every field
 * checked against the bytes that are there. Errors name the file, the record number and the byte
 * offset, so a truncated or hostile capture gives one located line, never a crash.
 *
 * Own reader rather than an npm package: the registry's pcap readers are either libpcap bindings
 * (native build) or unmaintained stream parsers that read classic pcap only and report neither
 * record numbers nor offsets.
 */
import { InputError } from '../isa/errors.js';

/** One captured packet: its bytes as captured and where it came from. */
export interface CapturedPacket {
  /** 1-based record number in the capture (packet records only). */
  index: number;
  /** Capture time in ns since the epoch. */
  tsNs: bigint;
  /** Captured bytes (at most the snap length). */
  data: Uint8Array;
  /** Length of the packet on the wire. */
  origLen: number;
  /** LINKTYPE_* of the interface it was captured on. */
  linkType: number;
  /** Byte offset of the record in the file. */
  offset: number;
  /** pcapng opt_comment, when present. */
  comment?: string;
}

export interface Capture {
  format: 'pcap' | 'pcapng';
  packets: CapturedPacket[];
}

/** The largest packet a record may hold (libpcap's MAXIMUM_SNAPLEN). */
export const MAX_CAPTURED_LEN = 262_144;

export const LINKTYPE = { ETHERNET: 1, RAW: 101, LINUX_SLL: 113, IPV4: 228, IPV6: 229, LINUX_SLL2: 276 } as const;

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BOM = 0x1a2b3c4d;

/** Whether `bytes` start like a capture file (either format, either byte order). */
export function isCapture(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = dv.getUint32(0, true), be = dv.getUint32(0, false);
  return le === PCAP_MAGIC_US || le === PCAP_MAGIC_NS || be === PCAP_MAGIC_US || be === PCAP_MAGIC_NS || le === PCAPNG_SHB;
}

/** Reads a whole capture. Throws InputError naming `file`, the record and its byte offset. */
export function readCapture(bytes: Uint8Array, file: string): Capture {
  if (bytes.length < 4) throw new InputError('pcap_malformed', `${file}: not a packet capture (${bytes.length} bytes)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) === PCAPNG_SHB) return { format: 'pcapng', packets: readPcapng(bytes, dv, file) };
  return { format: 'pcap', packets: readPcap(bytes, dv, file) };
}

function fail(file: string, where: string, offset: number, why: string): never {
  throw new InputError('pcap_malformed', `${file}: ${where} at byte offset ${offset}: ${why}`);
}

function readPcap(bytes: Uint8Array, dv: DataView, file: string): CapturedPacket[] {
  const m = dv.getUint32(0, true);
  let le: boolean;
  if (m === PCAP_MAGIC_US || m === PCAP_MAGIC_NS) le = true;
  else if (dv.getUint32(0, false) === PCAP_MAGIC_US || dv.getUint32(0, false) === PCAP_MAGIC_NS) le = false;
  else fail(file, 'file header', 0, `unknown magic 0x${m.toString(16).padStart(8, '0')} (not pcap or pcapng)`);
  const nano = dv.getUint32(0, le) === PCAP_MAGIC_NS;
  if (bytes.length < 24) fail(file, 'file header', 0, `truncated (${bytes.length} of 24 bytes)`);
  const major = dv.getUint16(4, le);
  if (major !== 2) fail(file, 'file header', 4, `unsupported version ${major}.${dv.getUint16(6, le)}`);
  // The link type's upper bits carry the FCS length (LINKTYPE_FCS): only the low 16 name the type.
  const linkType = dv.getUint32(20, le) & 0xffff;
  const packets: CapturedPacket[] = [];
  let off = 24;
  while (off < bytes.length) {
    const index = packets.length + 1;
    const where = `record ${index}`;
    if (off + 16 > bytes.length) fail(file, where, off, `truncated record header (${bytes.length - off} of 16 bytes)`);
    const sec = dv.getUint32(off, le), frac = dv.getUint32(off + 4, le);
    const incl = dv.getUint32(off + 8, le), orig = dv.getUint32(off + 12, le);
    if (frac >= (nano ? 1_000_000_000 : 1_000_000)) fail(file, where, off + 4, `sub-second timestamp ${frac} out of range`);
    if (incl > MAX_CAPTURED_LEN) fail(file, where, off + 8, `captured length ${incl} exceeds ${MAX_CAPTURED_LEN}`);
    if (off + 16 + incl > bytes.length) fail(file, where, off + 8, `truncated packet data (${bytes.length - off - 16} of ${incl} bytes)`);
    const tsNs = BigInt(sec) * 1_000_000_000n + BigInt(frac) * (nano ? 1n : 1000n);
    packets.push({ index, tsNs, data: bytes.subarray(off + 16, off + 16 + incl), origLen: Math.max(orig, incl), linkType, offset: off });
    off += 16 + incl;
  }
  return packets;
}

interface Interface { linkType: number; /** ns per timestamp unit, as a rational: unitsPerSec */ unitsPerSec: bigint }

function readPcapng(bytes: Uint8Array, dv: DataView, file: string): CapturedPacket[] {
  const packets: CapturedPacket[] = [];
  let ifaces: Interface[] = [];
  let le = true;
  let off = 0;
  let block = 0;
  while (off < bytes.length) {
    block++;
    const where = `block ${block}`;
    if (off + 12 > bytes.length) fail(file, where, off, `truncated block header (${bytes.length - off} bytes left)`);
    const type = dv.getUint32(off, true) === PCAPNG_SHB ? PCAPNG_SHB : dv.getUint32(off, le);
    if (type === PCAPNG_SHB) {
      // The byte-order magic decides how this section, including this block's length, is read.
      const bom = dv.getUint32(off + 8, true);
      if (bom === PCAPNG_BOM) le = true;
      else if (dv.getUint32(off + 8, false) === PCAPNG_BOM) le = false;
      else fail(file, `${where} (section header)`, off + 8, `bad byte-order magic 0x${bom.toString(16)}`);
      ifaces = [];
    }
    const len = dv.getUint32(off + 4, le);
    if (len < 12 || len % 4 !== 0) fail(file, where, off + 4, `bad block length ${len}`);
    if (off + len > bytes.length) fail(file, where, off + 4, `block length ${len} runs past the end of the file (${bytes.length - off} bytes left)`);
    if (dv.getUint32(off + len - 4, le) !== len) fail(file, where, off + len - 4, `trailing block length ${dv.getUint32(off + len - 4, le)} differs from ${len}`);
    const body = off + 8, end = off + len - 4;
    switch (type) {
      case PCAPNG_SHB: {
        if (end - body < 16) fail(file, `${where} (section header)`, body, 'too short');
        const major = dv.getUint16(body + 4, le);
        if (major !== 1) fail(file, `${where} (section header)`, body + 4, `unsupported version ${major}`);
        break;
      }
      case 1: { // interface description
        if (end - body < 8) fail(file, `${where} (interface description)`, body, 'too short');
        let unitsPerSec = 1_000_000n;
        for (const o of options(dv, bytes, body + 8, end, le, file, where)) {
          if (o.code !== 9) continue; // if_tsresol
          if (o.len < 1) fail(file, `${where} (if_tsresol)`, o.at, 'empty');
          const r = bytes[o.at]!;
          const exp = r & 0x7f;
          if (exp > (r & 0x80 ? 63 : 18)) fail(file, `${where} (if_tsresol)`, o.at, `resolution ${r} out of range`);
          unitsPerSec = r & 0x80 ? 1n << BigInt(exp) : 10n ** BigInt(exp);
        }
        ifaces.push({ linkType: dv.getUint16(body, le), unitsPerSec });
        break;
      }
      case 6: case 2: { // enhanced packet (6), obsolete packet (2)
        const name = type === 6 ? 'enhanced packet' : 'packet';
        if (end - body < 20) fail(file, `${where} (${name})`, body, 'too short');
        const ifId = type === 6 ? dv.getUint32(body, le) : dv.getUint16(body, le);
        const iface = ifaces[ifId];
        if (!iface) fail(file, `${where} (${name})`, body, `interface ${ifId} was not described (${ifaces.length} interfaces)`);
        const ts = (BigInt(dv.getUint32(body + 4, le)) << 32n) | BigInt(dv.getUint32(body + 8, le));
        const incl = dv.getUint32(body + 12, le), orig = dv.getUint32(body + 16, le);
        if (incl > MAX_CAPTURED_LEN) fail(file, `${where} (${name})`, body + 12, `captured length ${incl} exceeds ${MAX_CAPTURED_LEN}`);
        const dataAt = body + 20;
        const padded = dataAt + ((incl + 3) & ~3);
        if (padded > end) fail(file, `${where} (${name})`, body + 12, `captured length ${incl} runs past the block (${end - dataAt} bytes)`);
        let comment: string | undefined;
        for (const o of options(dv, bytes, padded, end, le, file, where)) if (o.code === 1) comment = new TextDecoder().decode(bytes.subarray(o.at, o.at + o.len));
        const p: CapturedPacket = { index: packets.length + 1, tsNs: (ts * 1_000_000_000n) / iface.unitsPerSec, data: bytes.subarray(dataAt, dataAt + incl), origLen: Math.max(orig, incl), linkType: iface.linkType, offset: off };
        if (comment !== undefined) p.comment = comment;
        packets.push(p);
        break;
      }
      case 3: { // simple packet: interface 0, no timestamp
        const iface = ifaces[0];
        if (!iface) fail(file, `${where} (simple packet)`, body, 'no interface was described');
        if (end - body < 4) fail(file, `${where} (simple packet)`, body, 'too short');
        const orig = dv.getUint32(body, le);
        const incl = Math.min(orig, end - body - 4, MAX_CAPTURED_LEN);
        packets.push({ index: packets.length + 1, tsNs: 0n, data: bytes.subarray(body + 4, body + 4 + incl), origLen: orig, linkType: iface.linkType, offset: off });
        break;
      }
      default: break; // name resolution, statistics, custom and unknown blocks carry no packets
    }
    off += len;
  }
  return packets;
}

/** The options of a pcapng block body from `at` to `end` (opt_endofopt ends the list). */
function* options(dv: DataView, bytes: Uint8Array, at: number, end: number, le: boolean, file: string, where: string): Generator<{ code: number; len: number; at: number }> {
  while (at + 4 <= end) {
    const code = dv.getUint16(at, le), len = dv.getUint16(at + 2, le);
    if (code === 0) return;
    if (at + 4 + len > end) fail(file, `${where} (option ${code})`, at, `option length ${len} runs past the block`);
    yield { code, len, at: at + 4 };
    at += 4 + ((len + 3) & ~3);
  }
  void bytes;
}

/** One packet to write back out. */
export interface PacketOut {
  tsNs: bigint;
  data: Uint8Array;
  origLen?: number;
  /** Written as the pcapng record's comment (ignored by classic pcap). */
  comment?: string;
}

/** A classic pcap file (nanosecond timestamps, one link type). */
export function writePcap(packets: readonly PacketOut[], linkType: number = LINKTYPE.ETHERNET): Uint8Array {
  let size = 24;
  for (const p of packets) size += 16 + p.data.length;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, PCAP_MAGIC_NS, true);
  dv.setUint16(4, 2, true);
  dv.setUint16(6, 4, true);
  dv.setUint32(16, MAX_CAPTURED_LEN, true);
  dv.setUint32(20, linkType, true);
  let off = 24;
  for (const p of packets) {
    dv.setUint32(off, Number(p.tsNs / 1_000_000_000n), true);
    dv.setUint32(off + 4, Number(p.tsNs % 1_000_000_000n), true);
    dv.setUint32(off + 8, p.data.length, true);
    dv.setUint32(off + 12, Math.max(p.origLen ?? 0, p.data.length), true);
    out.set(p.data, off + 16);
    off += 16 + p.data.length;
  }
  return out;
}

/** A pcapng file: one section, one interface with nanosecond timestamps, a comment per packet. */
export function writePcapng(packets: readonly PacketOut[], linkType: number = LINKTYPE.ETHERNET): Uint8Array {
  const enc = new TextEncoder();
  const pad4 = (n: number) => (n + 3) & ~3;
  const comments = packets.map((p) => (p.comment ? enc.encode(p.comment) : null));
  let size = 28 + 32; // SHB + IDB with if_tsresol and end of options
  packets.forEach((p, i) => { const c = comments[i]; size += 32 + pad4(p.data.length) + (c ? 4 + pad4(c.length) + 4 : 0); });
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  let off = 0;
  const u32 = (v: number) => { dv.setUint32(off, v, true); off += 4; };
  const u16 = (v: number) => { dv.setUint16(off, v, true); off += 2; };
  // section header
  u32(PCAPNG_SHB); u32(28); u32(PCAPNG_BOM); u16(1); u16(0); u32(0xffffffff); u32(0xffffffff); u32(28);
  // interface description: if_tsresol = 9 (ns)
  u32(1); u32(32); u16(linkType); u16(0); u32(MAX_CAPTURED_LEN); u16(9); u16(1); out[off] = 9; off += 4; u32(0); u32(32);
  packets.forEach((p, i) => {
    const c = comments[i];
    const len = 32 + pad4(p.data.length) + (c ? 4 + pad4(c.length) + 4 : 0);
    u32(6); u32(len); u32(0);
    u32(Number(p.tsNs >> 32n)); u32(Number(p.tsNs & 0xffffffffn));
    u32(p.data.length); u32(Math.max(p.origLen ?? 0, p.data.length));
    out.set(p.data, off); off += pad4(p.data.length);
    if (c) { u16(1); u16(c.length); out.set(c, off); off += pad4(c.length); u32(0); }
    u32(len);
  });
  return out;
}

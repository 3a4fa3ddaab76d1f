/** Capture files: pcap and pcapng read and written, link types, and hostile captures. */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ETH_P, ethernet, ipv4, IPPROTO, syntheticTraffic, udp } from '../../src/inputs/craft.js';
import { toEthernet } from '../../src/inputs/link.js';
import { LINKTYPE, readCapture, writePcap, writePcapng, type CapturedPacket } from '../../src/inputs/pcap.js';
import { InputError } from '../../src/isa/errors.js';
import { main } from '../../src/cli/main.js';
import { memoryIo } from '../../src/cli/io.js';

const traffic = syntheticTraffic(300, 3);

describe('reading and writing', () => {
  test('pcap round trip keeps bytes, timestamps (ns) and original lengths', () => {
    const cap = readCapture(writePcap(traffic), 'x.pcap');
    expect(cap.format).toBe('pcap');
    expect(cap.packets.map((p) => [Buffer.from(p.data).toString('hex'), p.tsNs, p.origLen])).toEqual(
      traffic.map((p) => [Buffer.from(p.data).toString('hex'), p.tsNs, Math.max(p.origLen ?? 0, p.data.length)]));
    expect(cap.packets.every((p) => p.linkType === LINKTYPE.ETHERNET)).toBe(true);
  });

  test('pcapng round trip keeps bytes, timestamps and per-packet comments', () => {
    const withComments = traffic.map((p, i) => ({ ...p, comment: i % 2 ? 'XDP_DROP' : 'XDP_PASS' }));
    const cap = readCapture(writePcapng(withComments), 'x.pcapng');
    expect(cap.format).toBe('pcapng');
    expect(cap.packets.map((p) => [Buffer.from(p.data).toString('hex'), p.tsNs, p.comment])).toEqual(
      withComments.map((p) => [Buffer.from(p.data).toString('hex'), p.tsNs, p.comment]));
  });

  test('big-endian microsecond pcap (as written on big-endian hosts)', () => {
    const frame = ethernet(ETH_P.IP, ipv4({ src: Uint8Array.of(1, 2, 3, 4), dst: Uint8Array.of(5, 6, 7, 8), proto: IPPROTO.UDP }, new Uint8Array(8)));
    const b = new Uint8Array(24 + 16 + frame.length);
    const dv = new DataView(b.buffer);
    dv.setUint32(0, 0xa1b2c3d4, false); dv.setUint16(4, 2, false); dv.setUint16(6, 4, false); dv.setUint32(16, 65535, false); dv.setUint32(20, 1, false);
    dv.setUint32(24, 100, false); dv.setUint32(28, 250_000, false); dv.setUint32(32, frame.length, false); dv.setUint32(36, frame.length, false);
    b.set(frame, 40);
    const [p] = readCapture(b, 'be.pcap').packets;
    expect(p!.tsNs).toBe(100_250_000_000n);
    expect(p!.data).toEqual(frame);
  });

  test('Linux cooked (v1, v2) and raw-IP captures become Ethernet frames with the right EtherType', () => {
    const ip = ipv4({ src: Uint8Array.of(10, 0, 0, 1), dst: Uint8Array.of(10, 0, 0, 2), proto: IPPROTO.UDP }, udp({ src: Uint8Array.of(10, 0, 0, 1), dst: Uint8Array.of(10, 0, 0, 2) }, 1, 2, new Uint8Array(4)));
    const sll = new Uint8Array(16 + ip.length);
    sll.set([0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 9, 0, 0, 0x08, 0x00]); sll.set(ip, 16);
    const sll2 = new Uint8Array(20 + ip.length);
    sll2.set([0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 9]); sll2.set(ip, 20);
    const mk = (linkType: number, data: Uint8Array): CapturedPacket => ({ index: 1, tsNs: 0n, data, origLen: data.length, linkType, offset: 24 });
    for (const [lt, d] of [[LINKTYPE.LINUX_SLL, sll], [LINKTYPE.LINUX_SLL2, sll2], [LINKTYPE.RAW, ip], [LINKTYPE.IPV4, ip]] as const) {
      const f = toEthernet(mk(lt, d), 'c.pcap');
      expect([f[12], f[13]]).toEqual([0x08, 0x00]);
      expect(f.subarray(14)).toEqual(ip);
    }
    expect(toEthernet(mk(LINKTYPE.LINUX_SLL, sll), 'c.pcap').subarray(6, 12)).toEqual(Uint8Array.of(2, 0, 0, 0, 0, 9));
    expect(() => toEthernet(mk(105, ip), 'c.pcap')).toThrow(/c\.pcap: record 1 at byte offset 24: link type 105 is not supported/);
  });
});

describe('malformed captures: one located error, never a crash', () => {
  const good = writePcap(traffic.slice(0, 20));
  const goodNg = writePcapng(traffic.slice(0, 20).map((p) => ({ ...p, comment: 'c' })));

  test.each([
    ['bad magic', Uint8Array.of(1, 2, 3, 4, 5, 6), /x: file header at byte offset 0: unknown magic/],
    ['truncated header', good.subarray(0, 10), /file header at byte offset 0: truncated/],
    ['truncated record header', good.subarray(0, 30), /record 1 at byte offset 24: truncated record header/],
    ['truncated packet', good.subarray(0, 24 + 16 + 5), /record 1 at byte offset 32: truncated packet data \(5 of \d+ bytes\)/],
    ['pcapng block past the end', goodNg.subarray(0, 80), /block 3 at byte offset 64: block length \d+ runs past the end/],
  ])('%s', (_name, bytes, msg) => {
    expect(() => readCapture(bytes, 'x')).toThrow(msg);
  });

  test('a record claiming a huge captured length is refused before any allocation', () => {
    const b = good.slice();
    new DataView(b.buffer).setUint32(24 + 8, 0x7fffffff, true);
    expect(() => readCapture(b, 'x')).toThrow(/record 1 at byte offset 32: captured length 2147483647 exceeds 262144/);
  });

  test('3,000 mutated captures (both formats): parsed or an InputError, nothing else', () => {
    fc.assert(fc.property(fc.boolean(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), fc.nat(), (ng, edits, cut) => {
      const b = (ng ? goodNg : good).slice(0, Math.max(4, (ng ? goodNg : good).length - (cut % 64)));
      for (const [at, v] of edits) b[at % b.length] = v;
      try { readCapture(b, 'm.pcap'); } catch (e) {
        expect(e).toBeInstanceOf(InputError);
        expect((e as Error).message).toMatch(/^m\.pcap: (file header|record \d+|block \d+)[^\n]* at byte offset \d+: /);
      }
    }), { numRuns: 3000, seed: 42 });
  });

  test('through the CLI: exit 2 and one line naming the capture, record and offset', async () => {
    const b = good.slice(0, 24 + 16 + 5);
    const io = memoryIo({ 'p.s': '.type xdp\nr0 = 2\nexit\n', 'cut.pcap': b });
    expect(await main(['run', 'p.s', '--pcap', 'cut.pcap'], io)).toBe(2);
    expect(io.stderr.trim().split('\n')).toHaveLength(1);
    expect(io.stderr).toMatch(/cut\.pcap: record 1 at byte offset 32: truncated packet data/);
  });
});

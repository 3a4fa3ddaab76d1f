/**
 * The __sk_buff fields a test run derives from the frame (ctx-region.ts fillSkb): pkt_type from
 * the destination MAC, and the dummy socket's family and addresses from the IPv4 / IPv6 header
 * (copied byte by byte from the frame); and hash maps' preallocation by a power-of-two bucket count.
 */
import { describe, expect, it } from 'vitest';
import { makeMapSpec } from '../../src/isa/program.js';
import { buildContext } from '../../src/runtime/ctx-region.js';
import { kernelPreallocBytes } from '../../src/runtime/maps/create.js';
import { Memory } from '../../src/runtime/memory.js';

function ctxOf(packet: Uint8Array): Uint8Array {
  const mem = new Memory();
  const { ctxRegion } = buildContext(mem, 'sched_cls', { packet });
  return mem.bytes[ctxRegion]!;
}
const u32 = (b: Uint8Array, off: number): number => new DataView(b.buffer, b.byteOffset).getUint32(off, true);

describe('skb test-run fields', () => {
  it('IPv4: family AF_INET, remote = daddr, local = saddr; unicast to another host', () => {
    const p = new Uint8Array(34);
    p.set([0, 1, 2, 3, 4, 5], 0);
    p[12] = 0x08; p[13] = 0x00; p[14] = 0x45;
    p.set([10, 0, 0, 1], 14 + 12); // saddr
    p.set([10, 0, 0, 2], 14 + 16); // daddr
    const c = ctxOf(p);
    expect(u32(c, 88)).toBe(2);
    expect([...c.subarray(92, 96)]).toEqual([10, 0, 0, 2]);
    expect([...c.subarray(96, 100)]).toEqual([10, 0, 0, 1]);
    expect(u32(c, 4)).toBe(3); // PACKET_OTHERHOST
  });

  it('IPv6: family AF_INET6, remote = daddr, local = saddr; our (zero) address is PACKET_HOST', () => {
    const p = new Uint8Array(54);
    p[12] = 0x86; p[13] = 0xdd;
    for (let i = 0; i < 16; i++) { p[14 + 8 + i] = 0x20 + i; p[14 + 24 + i] = 0x40 + i; }
    const c = ctxOf(p);
    expect(u32(c, 88)).toBe(10);
    expect([...c.subarray(100, 116)]).toEqual(Array.from({ length: 16 }, (_, i) => 0x40 + i));
    expect([...c.subarray(116, 132)]).toEqual(Array.from({ length: 16 }, (_, i) => 0x20 + i));
    expect(u32(c, 4)).toBe(0);
  });

  it('hash maps preallocate pow2ceil(max_entries) buckets', () => {
    const bucketBytes = (n: number): number => kernelPreallocBytes(makeMapSpec({ name: 'h', type: 'hash_of_maps', keySize: 4, valueSize: 4, maxEntries: n, flags: 0 }), 1) / 16;
    for (const [n, b] of [[1, 1], [2, 2], [3, 4], [4, 4], [5, 8], [1000, 1024], [1024, 1024], [1025, 2048], [2 ** 31, 2 ** 31], [2 ** 31 + 1, 2 ** 32]] as const)
      expect(bucketBytes(n), `max_entries ${n}`).toBe(b);
  });
});

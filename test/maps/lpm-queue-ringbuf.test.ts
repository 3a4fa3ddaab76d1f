import { describe, expect, it } from 'vitest';
import {
  BPF_EXIST,
  BPF_F_NO_PREALLOC,
  BPF_NOEXIST,
  BPF_RB_AVAIL_DATA,
  BPF_RB_CONS_POS,
  BPF_RB_FORCE_WAKEUP,
  BPF_RB_NO_WAKEUP,
  BPF_RB_PROD_POS,
  BPF_RB_RING_SIZE,
  ERRNO,
  createMap,
  isQueueStackMap,
  isRingBufMap,
  type QueueStackMap,
  type RingBufMap,
} from '../../src/runtime/maps/index.js';
import { bytes, expectErrno, hex, spec, u32 } from './util.js';

/** An IPv4 LPM key: prefixlen then 4 address bytes. */
const ip = (len: number, a: number, b = 0, c = 0, d = 0): Uint8Array => bytes(len, 0, 0, 0, a, b, c, d);

describe('lpm_trie map', () => {
  const mk = (max = 8) => createMap(spec('lpm_trie', 8, 4, max, BPF_F_NO_PREALLOC));

  it('finds the longest matching prefix', () => {
    const m = mk();
    m.update(ip(8, 10), u32(8));
    m.update(ip(16, 10, 1), u32(16));
    m.update(ip(24, 10, 1, 2), u32(24));
    expect(m.lookup(ip(32, 10, 1, 2, 3))).toEqual(u32(24));
    expect(m.lookup(ip(32, 10, 1, 3, 3))).toEqual(u32(16));
    expect(m.lookup(ip(32, 10, 9, 9, 9))).toEqual(u32(8));
    // the lookup key's own prefix length bounds the match
    expect(m.lookup(ip(20, 10, 1, 2, 3))).toEqual(u32(16));
    expectErrno(() => m.lookup(ip(32, 11)), 'ENOENT');
    expect(m.lookupRef(ip(32, 10, 1, 2, 200), 0)).toEqual(u32(24));
    expect(m.lookupRef(ip(32, 12), 0)).toBeNull();
  });

  it('matches bit prefixes that are not byte aligned', () => {
    const m = mk();
    m.update(ip(12, 0xab, 0xc0), u32(1)); // 0xab 0xc_
    expect(m.lookup(ip(32, 0xab, 0xcf, 1, 1))).toEqual(u32(1));
    expectErrno(() => m.lookup(ip(32, 0xab, 0xdf)), 'ENOENT');
  });

  it('enforces exact-prefix update/delete semantics and capacity (ENOSPC)', () => {
    const m = mk(2);
    m.update(ip(8, 10), u32(1));
    expectErrno(() => m.update(ip(8, 10, 99), u32(2), BPF_NOEXIST), 'EEXIST'); // same /8 prefix
    expectErrno(() => m.update(ip(16, 10, 1), u32(2), BPF_EXIST), 'ENOENT');
    m.update(ip(16, 10, 1), u32(2));
    expectErrno(() => m.update(ip(24, 10, 1, 1), u32(3)), 'ENOSPC');
    m.update(ip(16, 10, 1, 7), u32(4)); // replace when full
    expect(hex(m.nextKey(null))).toBe(hex(ip(16, 10, 1, 7))); // the stored key keeps the last written bytes
    expectErrno(() => m.update(ip(33, 10), u32(0)), 'EINVAL');
    expectErrno(() => m.update(ip(8, 10), u32(0), 4), 'EINVAL');
    expectErrno(() => m.delete(ip(12, 10)), 'ENOENT');
    expectErrno(() => m.delete(ip(33, 10)), 'EINVAL');
    m.delete(ip(8, 10));
    expect(m.count()).toBe(1);
  });

  it('iterates in post-order: more specific first, 0 branch before 1 branch', () => {
    const m = mk();
    m.update(ip(16, 192, 168), u32(0));
    m.update(ip(24, 192, 168, 128), u32(0));
    m.update(ip(24, 192, 168, 1), u32(0));
    m.update(ip(24, 192, 168, 0), u32(0));
    const order: string[] = [];
    for (let k = m.nextKey(null); k; k = m.nextKey(k)) order.push(hex(k)!);
    expect(order).toEqual([ip(24, 192, 168, 0), ip(24, 192, 168, 1), ip(24, 192, 168, 128), ip(16, 192, 168)].map(hex));
    expect(hex(m.nextKey(ip(8, 1)))).toBe(order[0]);
  });
});

describe('queue and stack maps', () => {
  it('queue is FIFO, stack is LIFO; full maps refuse pushes unless BPF_EXIST', () => {
    for (const type of ['queue', 'stack'] as const) {
      const m = createMap(spec(type, 0, 4, 2));
      expect(isQueueStackMap(m)).toBe(true);
      const q = m as QueueStackMap;
      const out = new Uint8Array(4);
      expect(q.popFromProgram(out)).toBe(-ERRNO.ENOENT);
      expect(q.pushFromProgram(u32(1), 0)).toBe(0);
      expect(q.pushFromProgram(u32(2), 0)).toBe(0);
      expect(q.pushFromProgram(u32(3), 0)).toBe(-ERRNO.E2BIG);
      expect(q.pushFromProgram(u32(3), BPF_NOEXIST)).toBe(-ERRNO.EINVAL);
      expect(q.pushFromProgram(u32(3), 3)).toBe(-ERRNO.EINVAL);
      expect(q.pushFromProgram(u32(3), BPF_EXIST)).toBe(0); // overwrites the oldest (1)
      expect(q.peekFromProgram(out)).toBe(0);
      expect(out).toEqual(u32(type === 'queue' ? 2 : 3));
      expect(q.popFromProgram(out)).toBe(0);
      expect(out).toEqual(u32(type === 'queue' ? 2 : 3));
      expect(hex(q.lookupAndDelete())).toBe(hex(u32(type === 'queue' ? 3 : 2)));
      expectErrno(() => q.lookupAndDelete(), 'ENOENT');
      expectErrno(() => q.lookup(new Uint8Array(0)), 'ENOENT');
      q.update(new Uint8Array(0), u32(9));
      expect(hex(q.lookup(new Uint8Array(0)))).toBe(hex(u32(9)));
      expectErrno(() => q.delete(new Uint8Array(0)), 'EINVAL');
      expectErrno(() => q.nextKey(null), 'EINVAL');
      expect(q.count()).toBe(1);
    }
  });
});

describe('ringbuf map', () => {
  const mk = (size = 4096) => createMap(spec('ringbuf', 0, 0, size)) as RingBufMap;

  it('delivers committed records in order, skips discarded ones, blocks on busy ones', () => {
    const rb = mk();
    expect(isRingBufMap(rb)).toBe(true);
    const a = rb.reserve(5, 0)!;
    const b = rb.reserve(3, 0)!;
    const c = rb.reserve(1, 0)!;
    a.data.set(bytes(1, 2, 3, 4, 5));
    b.data.set(bytes(6, 7, 8));
    rb.submit(b.handle, 0);
    expect(rb.consume()).toEqual([]); // a is still busy
    rb.submit(a.handle, 0);
    rb.discard(c.handle, 0);
    expect(rb.consume().map((r) => hex(r))).toEqual(['0102030405', '060708']);
    expect(rb.query(BPF_RB_AVAIL_DATA)).toBe(0n);
    expect(rb.query(BPF_RB_CONS_POS)).toBe(BigInt(16 + 16 + 16));
    expect(() => rb.submit(a.handle, 0)).toThrow(RangeError);
  });

  it('accounts space like the kernel: 8-byte header, 8-byte rounding, size-1 limit', () => {
    const rb = mk();
    expect(rb.query(BPF_RB_RING_SIZE)).toBe(4096n);
    expect(rb.reserve(4096, 0)).toBeNull(); // needs 4104 bytes
    expect(rb.reserve(1, 1)).toBeNull(); // reserve takes no flags
    expect(rb.output(new Uint8Array(4080), 0)).toBe(0); // 4088 bytes used
    expect(rb.query(BPF_RB_PROD_POS)).toBe(4088n);
    expect(rb.output(new Uint8Array(1), 0)).toBe(-ERRNO.EAGAIN);
    expect(rb.output(new Uint8Array(1), 4)).toBe(-ERRNO.EINVAL);
    expect(rb.consume().length).toBe(1);
    expect(rb.output(new Uint8Array(100), BPF_RB_NO_WAKEUP)).toBe(0);
    expect(rb.query(BPF_RB_AVAIL_DATA)).toBe(112n);
    expect(rb.query(99)).toBe(0n);
  });

  it('counts wakeups as the flags ask', () => {
    const rb = mk() as RingBufMap & { wakeups: number };
    rb.output(bytes(1), 0);
    rb.output(bytes(1), BPF_RB_NO_WAKEUP);
    rb.output(bytes(1), BPF_RB_FORCE_WAKEUP);
    expect(rb.wakeups).toBe(2);
  });

  it('refuses element commands from user space (ENOTSUPP)', () => {
    const rb = mk();
    expectErrno(() => rb.lookup(new Uint8Array(0)), 'ENOTSUPP');
    expectErrno(() => rb.update(new Uint8Array(0), new Uint8Array(0)), 'ENOTSUPP');
    expectErrno(() => rb.delete(new Uint8Array(0)), 'ENOTSUPP');
    expectErrno(() => rb.nextKey(null), 'ENOTSUPP');
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_FRAMES, Memory, MemoryFault, PTR_TAG, STACK_SIZE, join, split } from '../../src/runtime/memory.js';

function fault(f: () => unknown): MemoryFault {
  try { f(); } catch (e) { if (e instanceof MemoryFault) return e; throw e; }
  throw new Error('no fault');
}

describe('region memory model', () => {
  it('encodes pointers as (region, offset) in 64 bits and decodes them back', () => {
    const m = new Memory();
    const id = m.add('mem', new Uint8Array(16));
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (off) => {
      const p = Memory.ptr(id, off);
      const { hi, lo } = split(p);
      expect(hi).toBe((PTR_TAG | (id << 8)) | 0);
      expect(lo >>> 0).toBe(off);
      expect(join(hi, lo)).toBe(p);
      expect(m.decode(p)).toEqual({ id, kind: 'mem', off });
    }));
  });

  it('has one 512-byte stack per call frame, r10 at offset 512', () => {
    const m = new Memory();
    expect(m.stackIds.length).toBe(MAX_FRAMES);
    for (const id of m.stackIds) { expect(m.kindOf(id)).toBe('stack'); expect(m.bytes[id]!.length).toBe(STACK_SIZE); }
    const fp = Memory.ptr(m.stackIds[0]!, STACK_SIZE);
    m.store(fp - 8n, 8, 0x1122334455667788n);
    expect(m.load(fp - 8n, 8)).toBe(0x1122334455667788n);
    expect(m.load(fp - 8n, 4)).toBe(0x55667788n);
  });

  it('a pointer moved below its region still reaches it through the instruction offset (p - 1, then *(p + 47))', () => {
    const m = new Memory();
    const id = m.add('map_value', new Uint8Array(48));
    m.bytes[id]![46] = 0xab;
    const p = Memory.ptr(id, 0) - 1n; // borrows from the tag: no longer a plain (region, offset) pointer
    const { hi, lo } = split(BigInt.asUintN(64, p));
    expect(m.check(hi, lo, 47, 1, false, 0)).toBe(id);
    expect(m.at).toBe(46);
    // past either end it is still that region's fault, at the real offset
    expect(fault(() => m.check(hi, lo, 0, 1, false, 3)).toJSON()).toEqual({ pc: 3, kind: 'out_of_bounds', region: 'map_value', offset: -1, size: 1 });
    expect(fault(() => m.check(hi, lo, 49, 1, false, 3)).toJSON()).toEqual({ pc: 3, kind: 'out_of_bounds', region: 'map_value', offset: 48, size: 1 });
  });

  it('names every bad access', () => {
    const m = new Memory();
    const fp = Memory.ptr(m.stackIds[0]!, STACK_SIZE);
    let f = fault(() => m.load(fp, 8, 7));
    expect(f.toJSON()).toEqual({ pc: 7, kind: 'out_of_bounds', region: 'stack', offset: 0, size: 8 });
    f = fault(() => m.load(fp - 520n, 8));
    expect([f.kind, f.offset]).toEqual(['out_of_bounds', -520]);
    f = fault(() => m.load(fp - 6n, 4));
    expect([f.kind, f.region, f.offset]).toEqual(['misaligned', 'stack', -6]);
    expect(fault(() => m.load(0n, 4)).kind).toBe('null');
    expect(fault(() => m.load(16n, 4)).kind).toBe('null');
    expect(fault(() => m.load(0xdeadbeef00000000n, 4)).kind).toBe('invalid_pointer');
    const ro = m.add('map_value', new Uint8Array(8), { writable: false });
    expect(fault(() => m.store(Memory.ptr(ro, 0), 4, 1n)).kind).toBe('read_only');
    // a pointer moved below offset 0 borrows from the high word: still reported as out of bounds of its region
    const mv = m.add('map_value', new Uint8Array(8));
    f = fault(() => m.load(Memory.ptr(mv, 0) - 4n, 4));
    expect([f.kind, f.region, f.offset]).toEqual(['out_of_bounds', 'map_value', -4]);
    f = fault(() => m.load(Memory.ptr(mv, 4), 8));
    expect([f.kind, f.region, f.offset, f.size]).toEqual(['out_of_bounds', 'map_value', 4, 8]);
  });

  it('only stacks and atomics require alignment', () => {
    const m = new Memory();
    const id = m.add('map_value', new Uint8Array(16));
    m.store(Memory.ptr(id, 3), 4, 0xaabbccddn);
    expect(m.load(Memory.ptr(id, 3), 4)).toBe(0xaabbccddn);
    const { hi, lo } = split(Memory.ptr(id, 3));
    expect(fault(() => m.check(hi, lo, 0, 4, true, 0, true)).kind).toBe('misaligned');
  });

  it('drops per-run regions on reset; stale pointers fault', () => {
    const m = new Memory();
    const id = m.add('mem', new Uint8Array(8));
    const p = Memory.ptr(id, 0);
    m.reset();
    expect(fault(() => m.load(p, 4)).kind).toBe('invalid_pointer');
  });

  it('gives a live view the same region within a run', () => {
    const m = new Memory();
    const v = new Uint8Array(32).subarray(8, 16);
    const a = m.regionFor('map_value', v, true);
    expect(m.regionFor('map_value', v, true)).toBe(a);
    expect(m.regionFor('map_value', new Uint8Array(v.buffer, 8, 8), true)).not.toBe(a);
  });
});

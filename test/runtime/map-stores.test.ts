/**
 * Small map stores (runtime/maps/zeroed.ts): array chunks and hash elements are cut from shared
 * zeroed slabs, and an array element's view is made on first use. Every map must still see only
 * its own zeroed bytes, and hand out one stable view per element (a program's map value pointer
 * is that view's region for the whole run).
 */
import { describe, expect, it } from 'vitest';
import { makeMapSpec } from '../../src/isa/program.js';
import { createMap } from '../../src/runtime/maps/create.js';
import { keyRepr } from '../../src/runtime/maps/base.js';
import { zeroedBytes } from '../../src/runtime/maps/zeroed.js';

const key32 = (i: number): Uint8Array => new Uint8Array(new Uint32Array([i]).buffer);
const spec = (type: 'array' | 'percpu_array' | 'hash', valueSize: number, maxEntries: number) =>
  makeMapSpec({ name: `m_${type}`, type, keySize: 4, valueSize, maxEntries, flags: 0 });

describe('small map stores', () => {
  it('cuts are zero, disjoint and 8-aligned', () => {
    const a = zeroedBytes(20), b = zeroedBytes(20);
    a.fill(0xff);
    expect([...b]).toEqual(new Array(20).fill(0));
    expect(b.byteOffset % 8).toBe(0);
    expect(zeroedBytes(4096).byteLength).toBe(4096);
  });

  it('array maps: zeroed values, one stable view per element, no bytes shared between maps', () => {
    const m1 = createMap(spec('array', 12, 16)), m2 = createMap(spec('array', 12, 16));
    expect([...m1.lookup(key32(5))]).toEqual(new Array(12).fill(0));
    m1.update(key32(3), new Uint8Array(12).fill(7));
    const ref = m1.lookupRef(key32(3), 0)!;
    expect(m1.lookupRef(key32(3), 0)).toBe(ref);
    expect(ref.length).toBe(12);
    expect([...ref]).toEqual(new Array(12).fill(7));
    // neighbours and the other map are untouched
    expect([...m1.lookup(key32(2))]).toEqual(new Array(12).fill(0));
    expect([...m1.lookup(key32(4))]).toEqual(new Array(12).fill(0));
    expect([...m2.lookup(key32(3))]).toEqual(new Array(12).fill(0));
    // a program write through the view is what user space reads
    ref[11] = 9;
    expect(m1.lookup(key32(3))[11]).toBe(9);
    expect(m1.lookupRef(key32(15), 0)!.byteOffset - ref.byteOffset).toBe(12 * 16);
  });

  it('array maps keep spec.initial in element 0', () => {
    const s = makeMapSpec({ name: '.data', type: 'array', keySize: 4, valueSize: 6, maxEntries: 1, flags: 0, initial: Uint8Array.from([1, 2, 3, 4, 5, 6]) });
    expect([...createMap(s).lookup(key32(0))]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('per-CPU arrays and hash maps: each element and CPU its own zeroed value', () => {
    const pc = createMap(spec('percpu_array', 8, 4), { cpus: 2 });
    pc.updateFromProgram(key32(1), new Uint8Array(8).fill(1), 0, 1);
    expect([...pc.lookupRef(key32(1), 0)!]).toEqual(new Array(8).fill(0));
    expect([...pc.lookupRef(key32(1), 1)!]).toEqual(new Array(8).fill(1));
    const h = createMap(spec('hash', 8, 4));
    h.update(key32(1), new Uint8Array(8).fill(3));
    h.update(key32(2), new Uint8Array(8));
    expect([...h.lookup(key32(2))]).toEqual(new Array(8).fill(0));
    expect(h.lookupRef(key32(1), 0)).toBe(h.lookupRef(key32(1), 0));
  });

  it('hash keys of 7 and 8 bytes: small ones as numbers, every key distinct, order kept', () => {
    for (const keySize of [7, 8]) {
      const h = createMap(makeMapSpec({ name: 'h', type: 'hash', keySize, valueSize: 4, maxEntries: 64, flags: 0 }));
      const keys: Uint8Array[] = [];
      for (const hi of [0, 1, 0x80]) for (const lo of [0, 1, 255]) {
        const k = new Uint8Array(keySize);
        k[0] = lo; k[keySize - 1] = hi; k[5] = hi ? 0 : 7;
        keys.push(k);
      }
      keys.forEach((k, i) => h.update(k, Uint8Array.of(i, 0, 0, 0)));
      expect(h.count()).toBe(keys.length);
      keys.forEach((k, i) => expect(h.lookup(k)[0]).toBe(i));
      const order: number[] = [];
      for (let k = h.nextKey(null); k; k = h.nextKey(k)) order.push(h.lookup(k)[0]!);
      expect(order).toEqual(keys.map((_, i) => i));
      h.delete(keys[4]!);
      expect(h.count()).toBe(keys.length - 1);
      // a longer array holding the key: only its first keySize bytes count
      const longer = new Uint8Array(keySize + 2); longer.set(keys[0]!); longer[keySize] = 9;
      expect(keyRepr(longer, keySize)).toBe(keyRepr(keys[0]!, keySize));
    }
    expect(typeof keyRepr(Uint8Array.of(1, 2, 3, 4, 5, 6, 0, 0), 8)).toBe('number');
    expect(typeof keyRepr(Uint8Array.of(1, 2, 3, 4, 5, 6, 0, 1), 8)).toBe('string');
  });
});

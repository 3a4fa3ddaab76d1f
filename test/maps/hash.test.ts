import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BPF_ANY, BPF_EXIST, BPF_F_LOCK, BPF_NOEXIST, ERRNO, createMap } from '../../src/runtime/maps/index.js';
import { bytes, errnoOf, expectErrno, hex, spec, u32, u64 } from './util.js';

describe('hash map', () => {
  it('inserts, replaces, deletes with the kernel errnos', () => {
    const m = createMap(spec('hash', 4, 8, 2));
    expectErrno(() => m.lookup(u32(1)), 'ENOENT');
    expectErrno(() => m.update(u32(1), u64(1n), BPF_EXIST), 'ENOENT');
    m.update(u32(1), u64(1n), BPF_NOEXIST);
    expectErrno(() => m.update(u32(1), u64(2n), BPF_NOEXIST), 'EEXIST');
    m.update(u32(1), u64(2n), BPF_EXIST);
    m.update(u32(2), u64(3n));
    expectErrno(() => m.update(u32(3), u64(4n)), 'E2BIG');
    m.update(u32(2), u64(5n)); // replacing in a full map works
    expect(m.lookup(u32(2))).toEqual(u64(5n));
    expectErrno(() => m.update(u32(1), u64(1n), 3), 'EINVAL');
    expectErrno(() => m.update(u32(1), u64(1n), BPF_F_LOCK), 'EINVAL');
    m.delete(u32(1));
    expectErrno(() => m.delete(u32(1)), 'ENOENT');
    expect(m.count()).toBe(1);
    expectErrno(() => m.update(u32(1), bytes(1)), 'EINVAL');
  });

  it('iterates in insertion order and restarts at the first key for a missing key', () => {
    const m = createMap(spec('hash', 4, 4, 8));
    expect(m.nextKey(null)).toBeUndefined();
    for (const k of [5, 3, 9]) m.update(u32(k), u32(k));
    expect(hex(m.nextKey(null))).toBe(hex(u32(5)));
    expect(hex(m.nextKey(u32(5)))).toBe(hex(u32(3)));
    expect(hex(m.nextKey(u32(3)))).toBe(hex(u32(9)));
    expect(m.nextKey(u32(9))).toBeUndefined();
    expect(hex(m.nextKey(u32(42)))).toBe(hex(u32(5)));
    // deleting while iterating (the usual user-space loop) visits every key once
    const seen: string[] = [];
    let k = m.nextKey(null);
    while (k) {
      seen.push(hex(k)!);
      const next = m.nextKey(k);
      m.delete(k);
      k = next;
    }
    expect(seen.length).toBe(3);
    expect(m.count()).toBe(0);
  });

  it('program side: live values, negative errnos', () => {
    const m = createMap(spec('hash', 8, 4, 1));
    const key = u64(77n);
    expect(m.lookupRef(key, 0)).toBeNull();
    expect(m.updateFromProgram(key, u32(1), BPF_EXIST, 0)).toBe(-ERRNO.ENOENT);
    expect(m.updateFromProgram(key, u32(1), BPF_ANY, 0)).toBe(0);
    const v = m.lookupRef(key, 0)!;
    v[0] = 9;
    expect(hex(m.lookup(key))).toBe('09000000');
    m.update(key, u32(0x42)); // in place: the program's pointer sees it
    expect(v[0]).toBe(0x42);
    expect(m.updateFromProgram(u64(1n), u32(1), BPF_ANY, 0)).toBe(-ERRNO.E2BIG);
    expect(m.updateFromProgram(key, u32(1), BPF_NOEXIST, 0)).toBe(-ERRNO.EEXIST);
    expect(m.deleteFromProgram(key, 0)).toBe(0);
    expect(m.deleteFromProgram(key, 0)).toBe(-ERRNO.ENOENT);
  });

  it('behaves like a bounded dictionary (property)', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('update' as const), k: fc.nat(7), v: fc.nat(), flags: fc.constantFrom(0, 1, 2) }),
      fc.record({ kind: fc.constant('delete' as const), k: fc.nat(7) }),
      fc.record({ kind: fc.constant('lookup' as const), k: fc.nat(7) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const m = createMap(spec('hash', 4, 4, 4));
        const model = new Map<number, number>();
        for (const o of ops) {
          if (o.kind === 'update') {
            const has = model.has(o.k);
            const want = o.flags === 1 && has ? 'EEXIST' : o.flags === 2 && !has ? 'ENOENT' : !has && model.size >= 4 ? 'E2BIG' : 'ok';
            expect(errnoOf(() => m.update(u32(o.k), u32(o.v), o.flags))).toBe(want);
            if (want === 'ok') model.set(o.k, o.v);
          } else if (o.kind === 'delete') {
            expect(errnoOf(() => m.delete(u32(o.k)))).toBe(model.delete(o.k) ? 'ok' : 'ENOENT');
          } else {
            const v = model.get(o.k);
            if (v === undefined) expectErrno(() => m.lookup(u32(o.k)), 'ENOENT');
            else expect(m.lookup(u32(o.k))).toEqual(u32(v));
          }
        }
        expect(m.count()).toBe(model.size);
      }),
      { numRuns: 200 },
    );
  });
});

describe('percpu_hash map', () => {
  it('programs write their CPU; a new element is zero on other CPUs', () => {
    const m = createMap(spec('percpu_hash', 4, 4, 4), { cpus: 2 });
    expect(m.updateFromProgram(u32(1), u32(5), BPF_ANY, 1)).toBe(0);
    expect(hex(m.lookup(u32(1)))).toBe('0000000000000000' + '0500000000000000');
    expect(m.lookupRef(u32(1), 0)).not.toBe(m.lookupRef(u32(1), 1));
    m.update(u32(2), bytes(1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0));
    expect(m.lookupRef(u32(2), 1)![0]).toBe(2);
    expectErrno(() => m.update(u32(3), u32(1).subarray(0, 2)), 'EINVAL');
  });
});

describe('lru_hash map', () => {
  it('evicts the least recently used element instead of failing', () => {
    const m = createMap(spec('lru_hash', 4, 4, 3));
    for (const k of [1, 2, 3]) m.update(u32(k), u32(k));
    expect(m.lookupRef(u32(1), 0)).not.toBeNull(); // program lookup: 1 is now most recent
    m.update(u32(4), u32(4)); // evicts 2
    expect(m.count()).toBe(3);
    expectErrno(() => m.lookup(u32(2)), 'ENOENT');
    m.lookup(u32(3)); // a user-space lookup does not refresh 3
    m.update(u32(5), u32(5)); // evicts 3
    expectErrno(() => m.lookup(u32(3)), 'ENOENT');
    expect(hex(m.lookup(u32(1)))).toBe(hex(u32(1)));
    expect(m.updateFromProgram(u32(6), u32(6), BPF_NOEXIST, 0)).toBe(0);
    expect(m.count()).toBe(3);
    expectErrno(() => m.update(u32(6), u32(0), BPF_NOEXIST), 'EEXIST');
    expectErrno(() => m.update(u32(7), u32(0), BPF_EXIST), 'ENOENT');
  });

  it('lru_percpu_hash keeps per-CPU values and evicts too', () => {
    const m = createMap(spec('lru_percpu_hash', 4, 8, 2), { cpus: 2 });
    for (const k of [1, 2, 3]) expect(m.updateFromProgram(u32(k), u64(BigInt(k)), BPF_ANY, 1)).toBe(0);
    expect(m.count()).toBe(2);
    expectErrno(() => m.lookup(u32(1)), 'ENOENT');
    expect(hex(m.lookup(u32(3)))).toBe('0000000000000000' + '0300000000000000');
  });
});

import { describe, expect, it } from 'vitest';
import { BPF_ANY, BPF_EXIST, BPF_F_LOCK, BPF_NOEXIST, ERRNO, createMap } from '../../src/runtime/maps/index.js';
import { bytes, expectErrno, hex, spec, u32, u64 } from './util.js';

describe('array map', () => {
  it('starts zeroed and round-trips values', () => {
    const m = createMap(spec('array', 4, 8, 4));
    expect(hex(m.lookup(u32(3)))).toBe('0000000000000000');
    m.update(u32(2), u64(0x1122n));
    expect(m.lookup(u32(2))).toEqual(u64(0x1122n));
    m.update(u32(2), u64(7n), BPF_EXIST);
    expect(m.lookup(u32(2))).toEqual(u64(7n));
    expect(m.count()).toBe(4);
  });

  it('rejects out-of-range, NOEXIST, bad flags and delete like the kernel', () => {
    const m = createMap(spec('array', 4, 8, 4));
    expectErrno(() => m.lookup(u32(4)), 'ENOENT');
    expectErrno(() => m.update(u32(4), u64(1n)), 'E2BIG');
    expectErrno(() => m.update(u32(0), u64(1n), BPF_NOEXIST), 'EEXIST');
    expectErrno(() => m.update(u32(0), u64(1n), 3), 'EINVAL');
    expectErrno(() => m.update(u32(0), u64(1n), BPF_F_LOCK), 'EINVAL');
    expectErrno(() => m.delete(u32(0)), 'EINVAL');
    expectErrno(() => m.lookup(bytes(1, 2)), 'EINVAL');
    expectErrno(() => m.update(u32(0), u32(1)), 'EINVAL');
  });

  it('iterates indices and restarts from 0 for a missing key', () => {
    const m = createMap(spec('array', 4, 4, 3));
    expect(hex(m.nextKey(null))).toBe(hex(u32(0)));
    expect(hex(m.nextKey(u32(0)))).toBe(hex(u32(1)));
    expect(m.nextKey(u32(2))).toBeUndefined();
    expect(hex(m.nextKey(u32(99)))).toBe(hex(u32(0)));
  });

  it('gives programs live storage that user space sees', () => {
    const m = createMap(spec('array', 4, 8, 2));
    const v = m.lookupRef(u32(1), 0)!;
    expect(v.length).toBe(8);
    expect(v.byteOffset % 8).toBe(0);
    v[0] = 0x2a;
    expect(m.lookup(u32(1))[0]).toBe(0x2a);
    expect(m.lookupRef(u32(1), 0)).toBe(v);
    expect(m.lookupRef(u32(2), 0)).toBeNull();
    expect(m.updateFromProgram(u32(0), u64(5n), BPF_ANY, 0)).toBe(0);
    expect(m.updateFromProgram(u32(9), u64(5n), BPF_ANY, 0)).toBe(-ERRNO.E2BIG);
    expect(m.updateFromProgram(u32(0), u64(5n), BPF_NOEXIST, 0)).toBe(-ERRNO.EEXIST);
    expect(m.deleteFromProgram(u32(0), 0)).toBe(-ERRNO.EINVAL);
    expect(m.lookup(u32(0))).toEqual(u64(5n));
  });

  it('loads initial contents of a global-data map', () => {
    const m = createMap({ ...spec('array', 4, 4, 1), initial: bytes(1, 2, 3, 4) });
    expect(hex(m.lookup(u32(0)))).toBe('01020304');
  });
});

describe('percpu_array map', () => {
  it('keeps one value per CPU, padded to 8 bytes in user space', () => {
    const m = createMap(spec('percpu_array', 4, 4, 2), { cpus: 3 });
    expect(m.cpus).toBe(3);
    expect(m.lookup(u32(0)).length).toBe(24);
    m.lookupRef(u32(1), 2)!.set(bytes(9, 9, 9, 9));
    expect(hex(m.lookup(u32(1)))).toBe('0000000000000000' + '0000000000000000' + '0909090900000000');
    expect(m.updateFromProgram(u32(1), bytes(1, 0, 0, 0), BPF_ANY, 0)).toBe(0);
    expect(hex(m.lookup(u32(1)))).toBe('0100000000000000' + '0000000000000000' + '0909090900000000');
  });

  it('takes a full per-CPU buffer (or one value for all CPUs) from user space', () => {
    const m = createMap(spec('percpu_array', 4, 4, 1), { cpus: 2 });
    m.update(u32(0), bytes(1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0));
    expect(m.lookupRef(u32(0), 1)![0]).toBe(2);
    m.update(u32(0), bytes(7, 0, 0, 0));
    expect(hex(m.lookup(u32(0)))).toBe('07000000000000000700000000000000');
    expectErrno(() => m.update(u32(0), bytes(1, 2)), 'EINVAL');
    expect(() => m.lookupRef(u32(0), 2)).toThrow(RangeError);
  });
});

import { describe, expect, it } from 'vitest';
import {
  BPF_F_CURRENT_CPU,
  BPF_F_INNER_MAP,
  BPF_F_REUSE_STACKID,
  BPF_NOEXIST,
  ERRNO,
  createMap,
  isMapOfMaps,
  isPerfEventArray,
  isProgArray,
  isStackTraceMap,
  type MapOfMaps,
  type PerfEventArrayMap,
  type ProgArrayMap,
  type StackTraceMap,
} from '../../src/runtime/maps/index.js';
import { expectErrno, hex, spec, u32 } from './util.js';

describe('prog_array map', () => {
  it('holds program references for tail calls', () => {
    const m = createMap(spec('prog_array', 4, 4, 4));
    expect(isProgArray(m)).toBe(true);
    const pa = m as ProgArrayMap;
    const prog = { name: 'target' };
    pa.setProgram(2, prog);
    expect(pa.getProgram(2)).toBe(prog);
    expect(pa.getProgram(1)).toBeUndefined();
    expect(pa.getProgram(99)).toBeUndefined();
    expect(() => pa.setProgram(4, prog)).toThrow(/E2BIG|max_entries/);
    expect(pa.lookup(u32(2)).length).toBe(4);
    expectErrno(() => pa.lookup(u32(1)), 'ENOENT');
    pa.delete(u32(2));
    expect(pa.getProgram(2)).toBeUndefined();
    expectErrno(() => pa.delete(u32(2)), 'ENOENT');
    expectErrno(() => pa.delete(u32(7)), 'E2BIG');
    expect(pa.lookupRef(u32(0), 0)).toBeNull();
  });

  it('resolves user-space "program fds" through programResolver', () => {
    const pa = createMap(spec('prog_array', 4, 4, 2)) as ProgArrayMap;
    expectErrno(() => pa.update(u32(0), u32(5)), 'EBADF');
    const progs = new Map<number, object>([[5, { name: 'p5' }]]);
    pa.programResolver = (id) => progs.get(id);
    pa.update(u32(0), u32(5));
    expect(pa.getProgram(0)).toBe(progs.get(5));
    expect(hex(pa.lookup(u32(0)))).toBe(hex(u32(5)));
    expectErrno(() => pa.update(u32(0), u32(5), BPF_NOEXIST), 'EINVAL');
    expectErrno(() => pa.update(u32(2), u32(5)), 'E2BIG');
    expect(hex(pa.nextKey(null))).toBe(hex(u32(0)));
    expect(pa.nextKey(u32(1))).toBeUndefined();
  });
});

describe('perf_event_array map', () => {
  it('collects output records per index; current-CPU index; errors', () => {
    const m = createMap(spec('perf_event_array', 4, 4, 2));
    expect(isPerfEventArray(m)).toBe(true);
    const pe = m as PerfEventArrayMap;
    expect(pe.outputFromProgram(BPF_F_CURRENT_CPU, 1, Uint8Array.of(1, 2))).toBe(0);
    expect(pe.outputFromProgram(0, 1, Uint8Array.of(3))).toBe(0);
    expect(pe.outputFromProgram(2, 0, Uint8Array.of(3))).toBe(-ERRNO.E2BIG);
    pe.delete(u32(0)); // detach the reader at index 0
    expect(pe.outputFromProgram(0, 0, Uint8Array.of(4))).toBe(-ERRNO.ENOENT);
    expect(pe.consume().map((r) => [r.index, hex(r.data)])).toEqual([
      [1, '0102'],
      [0, '03'],
    ]);
    expect(pe.consume()).toEqual([]);
    expectErrno(() => pe.lookup(u32(0)), 'ENOTSUPP');
    pe.update(u32(0), u32(123));
    expect(pe.outputFromProgram(0, 0, Uint8Array.of(4))).toBe(0);
  });
});

describe('array_of_maps and hash_of_maps', () => {
  const inner = spec('array', 4, 8, 4);

  it('stores inner maps that match the template; programs get the map itself', () => {
    const outer = createMap(spec('array_of_maps', 4, 4, 2, 0, inner));
    expect(isMapOfMaps(outer)).toBe(true);
    const mm = outer as MapOfMaps;
    const a = createMap(inner);
    mm.setInner(u32(1), a);
    expect(mm.lookupInner(u32(1))).toBe(a);
    expect(mm.lookupInner(u32(0))).toBeNull();
    expect(hex(mm.lookup(u32(1)))).toBe(hex(u32(a.id)));
    expectErrno(() => mm.lookup(u32(0)), 'ENOENT');
    expectErrno(() => mm.setInner(u32(0), createMap(spec('array', 4, 8, 5))), 'EINVAL'); // max_entries differs
    expectErrno(() => mm.setInner(u32(0), createMap(spec('hash', 4, 8, 4))), 'EINVAL');
    // user space writes the inner map's id as the "fd"
    const b = createMap(inner);
    mm.update(u32(0), u32(b.id));
    expect(mm.lookupInner(u32(0))).toBe(b);
    expectErrno(() => mm.update(u32(0), u32(999999)), 'EBADF');
    mm.delete(u32(0));
    expect(mm.lookupInner(u32(0))).toBeNull();
  });

  it('BPF_F_INNER_MAP lets inner maps differ in max_entries', () => {
    const t = spec('array', 4, 8, 4, BPF_F_INNER_MAP);
    const mm = createMap(spec('hash_of_maps', 8, 4, 2, 0, t)) as MapOfMaps;
    const big = createMap(spec('array', 4, 8, 100, BPF_F_INNER_MAP));
    const key = new Uint8Array(8).fill(1);
    mm.setInner(key, big);
    expect(mm.lookupInner(key)).toBe(big);
    expectErrno(() => mm.setInner(key, big, BPF_NOEXIST), 'EEXIST');
    mm.setInner(new Uint8Array(8), big);
    expectErrno(() => mm.setInner(new Uint8Array(8).fill(2), big), 'E2BIG');
    expect(mm.count()).toBe(2);
    expect(mm.deleteFromProgram(key, 0)).toBe(0);
    expect(mm.deleteFromProgram(key, 0)).toBe(-ERRNO.ENOENT);
  });
});

describe('stack_trace map', () => {
  it('stores stacks by id, dedups, and reports collisions', () => {
    const m = createMap(spec('stack_trace', 4, 8 * 4, 1));
    expect(isStackTraceMap(m)).toBe(true);
    const st = m as StackTraceMap;
    const id = st.getStackId([0x1000n, 0x2000n, 0x3000n], 0);
    expect(id).toBe(0); // one bucket
    expect(st.getStackId([0x1000n, 0x2000n, 0x3000n], 0)).toBe(id);
    expect(st.getStackId([0x9999n], 0)).toBe(-ERRNO.EEXIST);
    expect(st.getStackId([0x9999n], BPF_F_REUSE_STACKID)).toBe(0);
    expect(hex(st.lookup(u32(0)))).toBe('9999000000000000' + '00'.repeat(24));
    expect(st.getStackId([1n, 2n], 2)).toBe(-ERRNO.EFAULT); // skipped every frame
    expect(st.getStackId([1n], 1 << 20)).toBe(-ERRNO.EINVAL);
    expectErrno(() => st.update(u32(0), new Uint8Array(32)), 'EINVAL');
    expect(hex(st.nextKey(null))).toBe(hex(u32(0)));
    st.delete(u32(0));
    expectErrno(() => st.delete(u32(0)), 'ENOENT');
    expectErrno(() => st.delete(u32(5)), 'E2BIG');
    expect(st.nextKey(null)).toBeUndefined();
  });

  it('truncates stacks to value_size / 8 frames after skipping', () => {
    const st = createMap(spec('stack_trace', 4, 16, 8)) as StackTraceMap;
    const id = st.getStackId([1n, 2n, 3n, 4n], 1);
    expect(id).toBeGreaterThanOrEqual(0);
    expect(hex(st.lookup(u32(id)))).toBe('0200000000000000' + '0300000000000000');
  });
});

describe('devmap, cpumap, xskmap (redirect targets)', () => {
  it('hold optional entries that bpf_redirect_map sees through lookupRef', () => {
    const dm = createMap(spec('devmap', 4, 4, 2));
    expect(dm.lookupRef(u32(0), 0)).toBeNull();
    dm.update(u32(0), u32(3));
    expect(hex(dm.lookupRef(u32(0), 0)!)).toBe(hex(u32(3)));
    dm.update(u32(0), u32(0)); // ifindex 0 clears
    expect(dm.lookupRef(u32(0), 0)).toBeNull();
    expectErrno(() => dm.update(u32(1), u32(3), BPF_NOEXIST), 'EEXIST');
    expectErrno(() => dm.update(u32(2), u32(3)), 'E2BIG');
    dm.delete(u32(1)); // deleting an empty devmap slot is not an error
    expectErrno(() => dm.delete(u32(2)), 'EINVAL');
    const cm = createMap(spec('cpumap', 4, 4, 2));
    expectErrno(() => cm.update(u32(0), u32(20000)), 'EOVERFLOW');
    cm.update(u32(1), u32(192));
    expect(cm.count()).toBe(1);
    const xm = createMap(spec('xskmap', 4, 4, 2));
    expectErrno(() => xm.delete(u32(0)), 'ENOENT');
    xm.update(u32(0), u32(0)); // a socket fd 0 is a value, not a clear
    expect(xm.lookupRef(u32(0), 0)).not.toBeNull();
  });
});

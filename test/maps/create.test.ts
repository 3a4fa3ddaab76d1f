import { describe, expect, it } from 'vitest';
import { MapError, createMap } from '../../src/runtime/maps/index.js';
import { CREATE_CASES } from './cases.js';
import { errnoOf, spec } from './util.js';

describe('createMap validation', () => {
  it.each(CREATE_CASES.map(([s, e]) => [`${s.type} k${s.keySize} v${s.valueSize} n${s.maxEntries} f0x${s.flags.toString(16)}${s.inner ? ` inner ${s.inner.type}` : ''}`, s, e] as const))(
    '%s -> %s',
    (_label, s, errno) => {
      expect(errnoOf(() => createMap(s))).toBe(errno);
    },
  );

  it('names the problem in the message', () => {
    try {
      createMap(spec('array', 8, 8, 1));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(MapError);
      expect((e as MapError).message).toMatch(/invalid key size 8 for array map/);
    }
    expect(errnoOf(() => createMap(spec('array_of_maps', 4, 4, 2)))).toBe('EBADF');
    expect(errnoOf(() => createMap(spec('sockmap', 4, 4, 2)))).toBe('ENOTSUPP');
    // vmalloc refuses more than the machine's RAM; below that the map is created and allocated lazily
    expect(errnoOf(() => createMap(spec('array', 4, 1 << 20, 1 << 12), { totalRam: 1 << 30 }))).toBe('ENOMEM');
    expect(createMap(spec('array', 4, 1 << 20, 1 << 12), { totalRam: 2 ** 34 }).count()).toBe(1 << 12);
  });
});

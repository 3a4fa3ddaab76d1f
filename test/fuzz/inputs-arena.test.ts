import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type FuzzInput, hex, inputArb } from '../../src/fuzz/generators/inputs.js';

const snapshot = (x: FuzzInput): string =>
  [hex(x.packet), hex(x.ctx), x.seed, ...x.maps.map((m) => `${m.map}:${hex(m.key)}:${hex(m.value)}`)].join('|');

describe('fuzz inputs share arena stores', () => {
  it('an input keeps its bytes while many more are drawn (past several arenas), and replays from its seed', () => {
    const first = fc.sample(inputArb, { numRuns: 300, seed: 7 });
    const before = first.map(snapshot);
    for (let s = 0; s < 20; s++) fc.sample(inputArb, { numRuns: 100, seed: 100 + s }); // well over 64 KiB of inputs
    expect(first.map(snapshot)).toEqual(before);
    expect(fc.sample(inputArb, { numRuns: 300, seed: 7 }).map(snapshot)).toEqual(before);
  });

  it('arrays have the sizes the generators promise and do not overlap within an input', () => {
    for (const x of fc.sample(inputArb, { numRuns: 500, seed: 3 })) {
      expect(x.packet.length).toBeGreaterThanOrEqual(14);
      expect(x.packet.length).toBeLessThanOrEqual(128);
      expect(x.ctx.length).toBe(184);
      const byStore = new Map<ArrayBufferLike, [number, number][]>();
      for (const b of [x.packet, x.ctx, ...x.maps.flatMap((m) => [m.key, m.value])]) {
        if (!byStore.has(b.buffer)) byStore.set(b.buffer, []);
        byStore.get(b.buffer)!.push([b.byteOffset, b.byteOffset + b.length]);
      }
      for (const spans of byStore.values()) {
        spans.sort((a, b) => a[0] - b[0]);
        for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1]);
      }
      for (const m of x.maps) { expect(m.key.length).toBe(8); expect(m.value.length).toBe(64); }
    }
  });
});

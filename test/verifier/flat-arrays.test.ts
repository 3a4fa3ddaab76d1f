/**
 * Per-program tables carved from shared buffers (flat-arrays.ts): each is zeroed, of its length,
 * and shares no byte with another, across buffer boundaries and for tables too large to carve.
 */
import { describe, expect, it } from 'vitest';
import { zeroedI32, zeroedU16, zeroedU8 } from '../../src/verifier/flat-arrays.js';

describe('carved per-program tables', () => {
  it('are zeroed and disjoint, across many buffers', () => {
    const tables: (Uint8Array | Uint16Array | Int32Array)[] = [];
    // Sizes around the carving bounds: tiny, odd, one past a buffer's remainder, larger than a carve.
    const sizes = [1, 3, 7, 8, 9, 61, 62, 124, 500, 1023, 1024, 1025, 4096, 5000, 20000];
    for (let round = 0; round < 40; round++) {
      for (const n of sizes) {
        for (const make of [zeroedU8, zeroedU16, zeroedI32]) {
          const t = make(n);
          expect(t.length).toBe(n);
          expect(t.every((x) => x === 0)).toBe(true);
          tables.push(t);
        }
      }
      // Fill every table with its own index: an overlap would leave another table's mark.
      tables.forEach((t, i) => t.fill(i % 100));
    }
    tables.forEach((t, i) => expect(t.every((x) => x === i % 100), `table ${i}`).toBe(true));
  });
});

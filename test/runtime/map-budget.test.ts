// Maps charge their lazily allocated elements to a MemoryBudget without building the element's
// name for every charge (tryCharge); over the budget they still fail with the name and the limit.
import { describe, expect, it } from 'vitest';
import { makeMapSpec } from '../../src/isa/program.js';
import { MemoryBudget, MemoryBudgetError } from '../../src/runtime/maps/budget.js';
import { createMap } from '../../src/runtime/maps/create.js';

const key = (i: number): Uint8Array => new Uint8Array(new Uint32Array([i]).buffer);

describe('map memory budget', () => {
  it('tryCharge takes what fits and refuses the rest without taking it', () => {
    const b = new MemoryBudget(100);
    expect(b.tryCharge(60)).toBe(true);
    expect(b.tryCharge(50)).toBe(false);
    expect(b.used).toBe(60);
    expect(() => b.charge(50, 'x')).toThrow(MemoryBudgetError);
    expect(b.used).toBe(60);
  });

  it('a hash map counts each element and names the one over the budget', () => {
    const budget = new MemoryBudget(1000);
    const m = createMap(makeMapSpec({ name: 'h', type: 'hash', keySize: 4, valueSize: 8, maxEntries: 1000, flags: 0 }), { budget });
    let inserted = 0;
    let err: unknown;
    try { for (let i = 0; i < 1000; i++) { m.update(key(i), new Uint8Array(8)); inserted++; } } catch (e) { err = e; }
    expect(inserted).toBeGreaterThan(0);
    expect(inserted).toBeLessThan(1000);
    expect(budget.used).toBeLessThanOrEqual(1000);
    expect(err).toBeInstanceOf(MemoryBudgetError);
    expect((err as Error).message).toMatch(new RegExp(`^hash map h: element ${inserted + 1}: needs \\d+ more bytes, over the memory budget of 1000 bytes`));
  });

  it('an array map charges a chunk when first written and names its elements', () => {
    const budget = new MemoryBudget(64);
    const m = createMap(makeMapSpec({ name: 'a', type: 'array', keySize: 4, valueSize: 8, maxEntries: 16, flags: 0 }), { budget });
    expect(() => m.update(key(0), new Uint8Array(8))).toThrow(/^array map a: elements 0\.\.15: needs 128 more bytes/);
    const ok = new MemoryBudget(128);
    createMap(makeMapSpec({ name: 'a', type: 'array', keySize: 4, valueSize: 8, maxEntries: 16, flags: 0 }), { budget: ok }).update(key(3), new Uint8Array(8));
    expect(ok.used).toBe(128);
  });
});

/**
 * Backtracking's set of tracked stack slots (slot-set.ts) behaves as a Set of slot codes: the
 * same membership and size after any mix of additions and removals, every member visited once in
 * increasing order, removal during the visit allowed.
 */
import { describe, expect, it } from 'vitest';
import { SlotSet } from '../../src/verifier/slot-set.js';

describe('SlotSet', () => {
  it('matches a Set of codes over random operations', () => {
    const frames = 9;
    const maxCode = frames * 64;
    const s = new SlotSet(frames);
    const ref = new Set<number>();
    let seed = 12345;
    const rnd = (n: number): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed % n; };
    for (let step = 0; step < 20000; step++) {
      const code = 1 + rnd(maxCode);
      const what = rnd(10);
      if (what < 5) { s.add(code); ref.add(code); } else if (what < 9) { s.delete(code); ref.delete(code); } else if (rnd(50) === 0) { s.clear(); ref.clear(); }
      expect(s.has(code)).toBe(ref.has(code));
      expect(s.size).toBe(ref.size);
      if (step % 500 === 0) {
        const seen: number[] = [];
        for (let c = s.next(1); c !== 0; c = s.next(c + 1)) seen.push(c);
        expect(seen).toEqual([...ref].sort((a, b) => a - b));
      }
    }
  });

  it('visits the highest codes of every word (bit 31) and allows removal while visiting', () => {
    const s = new SlotSet(2);
    for (const c of [1, 32, 33, 64, 65, 128]) s.add(c);
    const seen: number[] = [];
    for (let c = s.next(1); c !== 0; c = s.next(c + 1)) { seen.push(c); if (c % 2 === 0) s.delete(c); }
    expect(seen).toEqual([1, 32, 33, 64, 65, 128]);
    expect(s.size).toBe(3);
    expect(s.next(2)).toBe(33);
    expect(s.next(129)).toBe(0);
  });
});

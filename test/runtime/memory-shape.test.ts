// Memory is read by the interpreter's optimised loop and by every helper: a Memory whose hidden
// class changes in a run deoptimises all of them ("wrong map"). outsideDelta, written only for a
// pointer moved outside its region, is +-2^32: started as the small integer 0 its first such
// value gave every Memory a new hidden class. Compared with V8's own %HaveSameMap.
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { Memory } from '../../src/runtime/memory.js';

setFlagsFromString('--allow-natives-syntax');
const sameMap = new Function('a', 'b', 'return %HaveSameMap(a, b);') as (a: unknown, b: unknown) => boolean;
setFlagsFromString('--no-allow-natives-syntax');

describe('Memory hidden class (memory.ts)', () => {
  it('is unchanged by a pointer moved below its region (outsideDelta -2^32) and above it (+2^32)', () => {
    const untouched = new Memory();
    const mem = new Memory();
    const id = mem.add('map', new Uint8Array(8));
    const below = (Memory.hiOf(id) & ~0xff) | 0x7f;
    const above = (Memory.hiOf(id) & ~0xff) | 0x81;
    expect(mem.regionOfMoved(below)).toBe(id);
    expect(mem.outsideDelta).toBe(-0x100000000);
    expect(mem.regionOfMoved(above)).toBe(id);
    expect(mem.outsideDelta).toBe(0x100000000);
    expect(sameMap(mem, untouched)).toBe(true);
    expect(sameMap(new Memory(), untouched)).toBe(true);
  });
});

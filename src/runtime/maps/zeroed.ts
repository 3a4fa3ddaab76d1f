/**
 * Zeroed byte stores for small map storage (an array map's chunk of a few elements, a hash
 * element's values), cut one after the other from shared slabs. A typed array of more than 64
 * bytes gets an off-heap store of its own, which costs V8 about as much as a short program run:
 * a fuzz run creates its program's maps afresh (a few small ones), and allocating their stores one
 * by one was a good part of that. A slab is never reused, so every cut is zero until its map
 * writes it; a slab lives as long as any map holding a cut of it (at most SLAB bytes held for a
 * small map). Cuts start 8-aligned, as their own stores would.
 */
const SLAB = 64 * 1024;
/** Stores larger than this get their own (a cut would hold a slab for little gain). */
const SMALL = 1024;

let slab = new Uint8Array(SLAB);
let used = 0;

/** `n` zero bytes that nothing else uses. */
export function zeroedBytes(n: number): Uint8Array {
  if (n > SMALL) return new Uint8Array(n);
  if (used + n > SLAB) { slab = new Uint8Array(SLAB); used = 0; }
  const b = slab.subarray(used, used + n);
  used += (n + 7) & ~7;
  return b;
}

/**
 * A set of stack slot codes (precision.ts: 1 + frame * 64 + slot) as a bitmap, two 32-bit words
 * per frame. Backtracking adds and removes slots at every stack access it walks over: a Set
 * allocates a new hash table when it shrinks or is cleared, this allocates nothing.
 */
export class SlotSet {
  private readonly words: Int32Array;
  /** The number of codes in the set. */
  size = 0;

  constructor(frames: number) {
    this.words = new Int32Array(2 * frames);
  }

  has(code: number): boolean {
    const i = code - 1;
    return (this.words[i >> 5]! & (1 << (i & 31))) !== 0;
  }

  add(code: number): void {
    const i = code - 1;
    const w = i >> 5;
    const bit = 1 << (i & 31);
    if (this.words[w]! & bit) return;
    this.words[w] = this.words[w]! | bit;
    this.size++;
  }

  delete(code: number): void {
    const i = code - 1;
    const w = i >> 5;
    const bit = 1 << (i & 31);
    if (!(this.words[w]! & bit)) return;
    this.words[w] = this.words[w]! & ~bit;
    this.size--;
  }

  clear(): void {
    if (this.size === 0) return;
    this.words.fill(0);
    this.size = 0;
  }

  /**
   * The smallest code >= `from` in the set, or 0 when there is none. Iteration in increasing
   * order: `for (let c = s.next(1); c !== 0; c = s.next(c + 1))` (deleting `c` meanwhile is allowed).
   */
  next(from: number): number {
    const words = this.words;
    let i = from - 1;
    const end = words.length * 32;
    while (i < end) {
      const w = words[i >> 5]! >>> (i & 31);
      if (w === 0) { i = (i | 31) + 1; continue; }
      return i + (31 - Math.clz32(w & -w)) + 1;
    }
    return 0;
  }
}

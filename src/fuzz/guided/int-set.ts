/**
 * A set of non-negative integers that is cleared and refilled many times (the feature collector's,
 * once per verified program): open addressing over typed arrays that stay allocated, cleared by
 * bumping a generation stamp. A Set allocates a fresh table at every clear() and again at every
 * growth while it refills -- a few kilobytes per verification. Iterates in insertion order, as a
 * Set does.
 */
export class IntSet implements Iterable<number> {
  private keys = new Int32Array(1024);
  /** stamps[i] === gen: slot i holds keys[i]. */
  private stamps = new Uint32Array(1024);
  private gen = 1;
  private members = new Int32Array(512);
  size = 0;

  clear(): void {
    this.size = 0;
    if (++this.gen === 0xffffffff) { this.stamps.fill(0); this.gen = 1; }
  }

  add(x: number): void {
    if (2 * (this.size + 1) > this.keys.length) this.grow();
    const keys = this.keys, stamps = this.stamps, gen = this.gen, mask = keys.length - 1;
    let i = Math.imul(x, 0x9e3779b1) >>> 0 & mask;
    while (stamps[i] === gen) {
      if (keys[i] === x) return;
      i = (i + 1) & mask;
    }
    stamps[i] = gen;
    keys[i] = x;
    if (this.size === this.members.length) {
      const m = new Int32Array(2 * this.members.length);
      m.set(this.members);
      this.members = m;
    }
    this.members[this.size++] = x;
  }

  has(x: number): boolean {
    const keys = this.keys, stamps = this.stamps, gen = this.gen, mask = keys.length - 1;
    for (let i = Math.imul(x, 0x9e3779b1) >>> 0 & mask; stamps[i] === gen; i = (i + 1) & mask) if (keys[i] === x) return true;
    return false;
  }

  /** The members in insertion order (a view, valid until the next change). */
  values(): Int32Array {
    return this.members.subarray(0, this.size);
  }

  [Symbol.iterator](): Iterator<number> {
    return this.values()[Symbol.iterator]();
  }

  private grow(): void {
    const n = this.size;
    this.keys = new Int32Array(2 * this.keys.length);
    this.stamps = new Uint32Array(this.keys.length);
    this.gen = 1;
    const members = this.members;
    this.size = 0;
    for (let k = 0; k < n; k++) {
      const x = members[k]!;
      const mask = this.keys.length - 1;
      let i = Math.imul(x, 0x9e3779b1) >>> 0 & mask;
      while (this.stamps[i] === 1) i = (i + 1) & mask;
      this.stamps[i] = 1;
      this.keys[i] = x;
      this.size++;
    }
  }
}

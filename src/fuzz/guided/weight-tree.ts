/**
 * Weighted picks over a changing list (the guided corpus scheduler): a Fenwick tree of the
 * weights, so that a pick is a prefix-sum search and a weight change an update, O(log n) each,
 * instead of a pass over the whole list per pick.
 */
export class WeightTree {
  /** tree[i] sums the weights of a range of slots ending at slot i - 1. */
  private tree = new Float64Array(1);
  private n = 0;

  /** Starts again over `weights` (slot i has weights(i)). */
  build(n: number, weight: (slot: number) => number): void {
    if (this.tree.length < n + 1) this.tree = new Float64Array(Math.max(n + 1, 2 * this.tree.length));
    const tree = this.tree;
    tree.fill(0, 0, n + 1);
    for (let i = 1; i <= n; i++) {
      tree[i]! += weight(i - 1);
      const up = i + (i & -i);
      if (up <= n) tree[up]! += tree[i]!;
    }
    this.n = n;
  }

  /** Appends a slot of weight `w` (slot n, the number of slots before). */
  push(w: number): void {
    const i = this.n + 1;
    if (this.tree.length < i + 1) {
      const grown = new Float64Array(2 * this.tree.length + 1);
      grown.set(this.tree);
      this.tree = grown;
    }
    // node i sums slots i - lowbit(i) .. i - 1: the new weight and the prefix sums' difference below it
    const low = i - (i & -i);
    this.tree[i] = w + this.prefix(i - 1) - this.prefix(low);
    this.n = i;
  }

  /** Drops the last slot (no other node covers it). */
  pop(): void {
    if (this.n > 0) this.n--;
  }

  /** Sum of the weights of slots 0 .. k - 1. */
  private prefix(k: number): number {
    let t = 0;
    for (let i = k; i > 0; i -= i & -i) t += this.tree[i]!;
    return t;
  }

  /** Adds `d` to the weight of `slot`. */
  add(slot: number, d: number): void {
    const tree = this.tree, n = this.n;
    for (let i = slot + 1; i <= n; i += i & -i) tree[i]! += d;
  }

  total(): number {
    return this.prefix(this.n);
  }

  /** The first slot whose prefix sum of weights exceeds x (the last slot when rounding leaves none). */
  find(x: number): number {
    const tree = this.tree, n = this.n;
    let pos = 0;
    for (let step = n > 0 ? 1 << (31 - Math.clz32(n)) : 0; step > 0; step >>= 1) {
      const next = pos + step;
      if (next <= n && tree[next]! <= x) { pos = next; x -= tree[next]!; }
    }
    return Math.min(pos, n - 1);
  }
}

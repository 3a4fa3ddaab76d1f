/**
 * Drawing values straight from fast-check's random stream, for generators that build a whole
 * structure in one pass (the structured program shapes, run inputs) instead of composing
 * fast-check arbitraries: a composed arbitrary allocates a Value and a shrinking context for
 * every field of every fragment, which was most of a campaign's generation time and a tenth of its
 * allocation. The draws follow the same seed, so a campaign stays a function of its seed.
 *
 * Bias mimics fast-check's (one draw in `biasFactor` comes from near the ends of its range, one
 * list in biasFactor^2 is short, and a list passes the bias on to its items only when drawn
 * biased), so the mix of small and large programs stays what the composed arbitraries gave.
 */
import type fc from 'fast-check';
import { drawBytes, drawBytesInto } from './bytes.js';

const log2Floor = (v: number): number => Math.floor(Math.log(v) / Math.LN2);

export class Draw {
  /**
   * The bias of the draws being made (fast-check's biasFactor, undefined: none). As in fast-check,
   * a list passes it on to its items only when the list itself was drawn biased (see items).
   */
  bias: number | undefined;
  /** The bias for the items of the list `length` drew last. */
  private itemBias: number | undefined;

  constructor(private readonly mrng: fc.Random, biasFactor: number | undefined) {
    this.bias = biasFactor;
  }

  /** An integer in [min, max], uniformly. */
  uniform(min: number, max: number): number {
    return this.mrng.nextInt(min, max);
  }

  /**
   * An integer in [min, max]; one draw in `bias` comes from near the ends of the range (near zero
   * for a range around it), at most log2 of the span away, as fast-check's integer does.
   */
  int(min: number, max: number): number {
    const bf = this.bias;
    const r = this.mrng;
    if (bf === undefined || min === max || r.nextInt(1, bf) !== 1) return r.nextInt(min, max);
    if (min < 0 && max > 0) {
      const lmin = log2Floor(-min), lmax = log2Floor(max);
      const id = r.nextInt(-4, 1);
      return id < 0 ? r.nextInt(-lmin, lmax) : id === 0 ? r.nextInt(max - lmax, max) : r.nextInt(min, min + lmin);
    }
    const gap = log2Floor(max - min);
    const nearMin = (r.nextInt(-2, 0) < 0) === (min >= 0);
    return nearMin ? r.nextInt(min, min + gap) : r.nextInt(max - gap, max);
  }

  bool(): boolean {
    return this.mrng.nextInt(0, 1) === 1;
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.mrng.nextInt(0, xs.length - 1)]!;
  }

  /** An index into `cum`, a table of cumulative weights (cum[i] = weights 0..i summed). */
  weighted(cum: readonly number[]): number {
    const x = this.mrng.nextInt(0, cum[cum.length - 1]! - 1);
    let i = 0;
    while (cum[i]! <= x) i++;
    return i;
  }

  /**
   * A list length in [min, max], as fast-check's array draws it: uniformly, its items unbiased; one
   * time in `bias` uniformly with biased items; one time in bias^2 short (at most log2 of the span
   * above min) with biased items. Draw the items inside `items`.
   */
  length(min: number, max: number): number {
    const bf = this.bias;
    const r = this.mrng;
    if (bf === undefined) { this.itemBias = undefined; return r.nextInt(min, max); }
    if (min === max) { this.itemBias = bf; return min; }
    if (r.nextInt(1, bf) !== 1) { this.itemBias = undefined; return r.nextInt(min, max); }
    this.itemBias = bf;
    if (r.nextInt(1, bf) !== 1) return r.nextInt(min, max);
    return r.nextInt(min, min + log2Floor(max - min));
  }

  /**
   * Starts drawing the items of the list `length` just drew (their bias on); returns what
   * `endItems` restores. For loops that `items` would make allocate a closure.
   */
  beginItems(): number | undefined {
    const outer = this.bias;
    this.bias = this.itemBias;
    return outer;
  }

  endItems(outer: number | undefined): void {
    this.bias = outer;
  }

  /** Runs `draw` (the items of the list `length` just drew) with the items' bias. */
  items<T>(draw: () => T): T {
    const outer = this.bias;
    this.bias = this.itemBias;
    try {
      return draw();
    } finally {
      this.bias = outer;
    }
  }

  /** `min` .. `max` random bytes (bytes.ts). */
  bytes(min: number, max: number): Uint8Array {
    return drawBytes(this.mrng, this.bias, min, max);
  }

  /** `min` .. `max` random bytes written into `out` from `at` (room for `max` needed), as `bytes` draws them; returns how many. */
  bytesInto(out: Uint8Array, at: number, min: number, max: number): number {
    return drawBytesInto(this.mrng, this.bias, min, max, out, at);
  }

  /** A signed 64-bit integer, uniformly (two 32-bit draws). */
  int64(): bigint {
    const hi = this.mrng.nextInt(-0x80000000, 0x7fffffff);
    const lo = this.mrng.nextInt(0, 0x7fffffff) * 2 + this.mrng.nextInt(0, 1);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }
}

/** Cumulative weights, for Draw.weighted. */
export function cumulative(weights: readonly number[]): number[] {
  let t = 0;
  return weights.map((w) => (t += w));
}

/** fast-check's generation of list lengths: at most 10 elements when the maximum is larger (its default size, "small"). */
export const generatedMax = (max: number): number => Math.min(max, 10);

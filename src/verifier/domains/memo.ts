/**
 * Results of the scalar domain's operations, remembered by the values of their operands. Every
 * operation of the kernel product is a function of its operands' values alone and Scalars are
 * immutable, so an operation asked again on equal operands can hand out the state it computed
 * before: the code that runs (and is proven) is unchanged, it runs less often. Verification
 * repeats few values (constants, the same ranges on every path through a block): over a fuzz
 * campaign 57 % of ALU operations, 75 % of refinements and 42 % of branch decisions meet
 * operands already seen, and each costs thousands of bigint operations.
 *
 * Operands are numbered by value: a Scalar gets the number of its value the first time it is an
 * operand (found again by identity afterwards; the states handed out again keep theirs), and a
 * result is found by its operation and the numbers of its operands, one float key. The memo is
 * bounded: past LIMIT results it forgets them, past LIMIT values it starts again empty.
 */
import type { Reg } from './scalar.js';

type Scalar = Readonly<Reg<bigint>>;

/**
 * Values and results kept at most by default: a value may take one Map per field, so this bounds
 * the memo to a few MB. (2^15 saved a little more CPU on corpus-samples, -22 % against -16 %, but
 * cost ~100 MB of peak memory and 30 % more CPU on a long program of distinct values, where every
 * lookup misses.) Numbers must fit 21 bits for the keys to stay exact floats.
 */
const LIMIT = 1 << 12;
const MAX_LIMIT = 1 << 20;
const ID_SPAN = 2 ** 21;
/** Operation codes are below this (7 bits: with two 21-bit numbers, 49 bits). */
export const MEMO_OPS = 128;
/** The fields that lead to the last one (s32max), whose Map holds the value's number. */
const INNER_FIELDS = ['value', 'mask', 'umin', 'umax', 'smin', 'smax', 'u32min', 'u32max', 's32min'] as const;

export class ScalarMemo {
  /** At most `limit` values and results (below 2^21: numbers must fit their 21 bits). */
  constructor(private readonly limit = LIMIT) {
    if (!(limit >= 2 && limit <= MAX_LIMIT)) throw new RangeError(`memo limit ${limit}`);
  }

  private ids = new WeakMap<Scalar, number>();
  /** Value numbers by field, one Map level per field (no key text to build); `count` values so far. */
  private values = new Map<bigint, unknown>();
  private count = 0;
  private readonly results = new Map<number, unknown>();

  /** The number of s's value (1-based; 0 stands for "no operand"). */
  private id(s: Scalar): number {
    let i = this.ids.get(s);
    if (i !== undefined) return i;
    let m = this.values;
    for (const f of INNER_FIELDS) {
      let next = m.get(s[f]) as Map<bigint, unknown> | undefined;
      if (next === undefined) m.set(s[f], (next = new Map()));
      m = next;
    }
    i = m.get(s.s32max) as number | undefined;
    if (i === undefined) m.set(s.s32max, (i = ++this.count));
    this.ids.set(s, i);
    return i;
  }

  /** The key of operation `op` (0 <= op < MEMO_OPS) on a and b (b null for one operand). */
  key(op: number, a: Scalar, b: Scalar | null): number {
    // Numbering starts again only here, before this key's two numbers are taken.
    if (this.count > this.limit - 2) {
      this.values = new Map();
      this.count = 0;
      this.results.clear();
      this.ids = new WeakMap();
    }
    const ia = this.id(a);
    const ib = b === null ? 0 : this.id(b);
    return (op * ID_SPAN + ia) * ID_SPAN + ib;
  }

  get(key: number): unknown {
    return this.results.get(key);
  }

  set(key: number, result: unknown): void {
    if (this.results.size >= this.limit) this.results.clear();
    this.results.set(key, result);
  }
}

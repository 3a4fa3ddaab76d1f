/**
 * Results of the scalar domain's operations, remembered by the values of their operands. Every
 * operation of the kernel product is a function of its operands' values alone and Scalars are
 * immutable, so an operation asked again on equal operands can hand out the state it computed
 * before: the code that runs (and is proven) is unchanged, it runs less often. Verification
 * repeats few values (constants, the same ranges on every path through a block): over a fuzz
 * campaign 57 % of ALU operations, 75 % of refinements and 42 % of branch decisions meet
 * operands already seen, and each costs thousands of bigint operations.
 *
 * Operands are numbered by value: a hash of a Scalar's fields leads to the values already
 * numbered with that hash, one of which it must equal field by field; a result is found by its
 * operation and the numbers of its operands, one float key. An object numbered once carries its
 * number (Reg.memoNo, with the numbering it belongs to in Reg.memoGen): registers keep the objects
 * the memo and the constant cache hand out, so most operands are found by one field read. The
 * memo is bounded: past LIMIT results it forgets them, past LIMIT values it starts again empty
 * (a new numbering: the numbers objects carry from the old one no longer count).
 */
import type { Reg } from './scalar.js';

type Scalar = Readonly<Reg<bigint>>;

/**
 * Values and results kept at most by default (a value keeps its first Scalar as the number's
 * representative): a few MB (measured: +7 MB of heap over 2^12 after a fuzz run). Fuzz programs
 * share many values across programs: on fresh structured fuzz programs 2^15 took ~10% less CPU
 * per program than 2^12 (2^16: no further gain for twice the memory). Numbers must fit 21 bits
 * for the keys to stay exact floats.
 */
const LIMIT = 1 << 15;
const MAX_LIMIT = 1 << 20;
const ID_SPAN = 2 ** 21;
/** Slots of the results table when it starts (it grows up to twice LIMIT): 64 KB of keys. */
const FIRST_SLOTS = 1 << 13;
/** Operation codes are below this (8 bits: with two 21-bit numbers, 50 bits). */
export const MEMO_OPS = 256;
/**
 * Mixes one 64-bit field into a value's hash: its double (exact below 2^53, close above: enough
 * for a hash), both 32-bit halves, each multiplied in so that values differing in any bit of
 * either half differ in the high bits too.
 */
function mix(h: number, x: bigint): number {
  const n = Number(x);
  h = Math.imul(h ^ (n | 0), 0x9e3779b1);
  h = Math.imul(h ^ h >>> 16 ^ ((n / 4294967296) | 0), 0x85ebca6b);
  return h ^ (h >>> 13);
}

/** Mixes one 32-bit field (below 2^32: its double is exact). */
function mix32(h: number, x: bigint): number {
  h = Math.imul(h ^ Number(x), 0xcc9e2d51);
  return h ^ (h >>> 15);
}

/**
 * Every field: many values share the tnum and the 64-bit ranges and differ only in the 32-bit
 * ones (with those left out, a lookup walked ~30 values of one hash on the fuzz harness).
 */
function hashOf(s: Scalar): number {
  let h = mix(0x2545f491, s.value);
  h = mix(h, s.mask);
  h = mix(h, s.umin);
  h = mix(h, s.umax);
  h = mix(h, s.smin);
  h = mix(h, s.smax);
  h = mix32(h, s.u32min);
  h = mix32(h, s.u32max);
  h = mix32(h, s.s32min);
  return mix32(h, s.s32max);
}

/** A free slot of the results table. */
const EMPTY = -1;

/**
 * The table slot where the search for `key` starts (`mask`: the table's size less one): the key's
 * bits mixed (operation and two value numbers, see ScalarMemo.key: ib is the low 21 bits, ia the
 * next 21, the operation above).
 */
function slotOf(key: number, mask: number): number {
  // The key's high 18 bits and low 32 bits, without `%` on a float (a call into fmod: it was
  // most of a probe's cost): the division by 2^32 and the product back are exact below 2^53.
  const hi = Math.floor(key / 4294967296);
  const lo = (key - hi * 4294967296) | 0;
  let h = Math.imul(lo ^ (lo >>> 21) ^ (hi << 11), 0x9e3779b1) ^ Math.imul(hi, 0x85ebca6b);
  h ^= h >>> 15;
  return h & mask;
}

function sameValue(a: Scalar, b: Scalar): boolean {
  return a.value === b.value && a.mask === b.mask && a.umin === b.umin && a.umax === b.umax && a.smin === b.smin && a.smax === b.smax &&
    a.u32min === b.u32min && a.u32max === b.u32max && a.s32min === b.s32min && a.s32max === b.s32max;
}

export class ScalarMemo {
  /** At most `limit` values and results (below 2^21: numbers must fit their 21 bits). */
  constructor(private readonly limit = LIMIT) {
    if (!(limit >= 2 && limit <= MAX_LIMIT)) throw new RangeError(`memo limit ${limit}`);
    let slots = 4;
    while (slots < 2 * limit) slots *= 2;
    this.maxSlots = slots;
    const first = Math.min(slots, FIRST_SLOTS);
    this.resultKeys = new Float64Array(first).fill(EMPTY);
    this.resultVals = new Array<unknown>(first).fill(undefined);
  }

  /** The value numbered n is values[n - 1]; values of one hash are chained through `next` from `first`. */
  private readonly values: Scalar[] = [];
  private readonly next: number[] = [];
  private readonly first = new Map<number, number>();
  /**
   * Results by key in an open-addressing table (linear probing): a key is a float above 2^31,
   * which a Map would box (a heap number per lookup) and hash as an object. EMPTY marks a free
   * slot (keys are never negative). The table starts small and doubles while more than half full,
   * up to twice `limit` slots: a verification probes it at random for every scalar operation, and
   * a table of the full size (1 MB) that holds a few thousand results (a whole corpus of real
   * programs) misses the CPU caches on most probes, more so after anything else ran in between
   * (the kernel's own BPF_PROG_LOAD in `bpflab bench`).
   */
  private resultKeys: Float64Array;
  private resultVals: unknown[];
  private resultCount = 0;
  private readonly maxSlots: number;
  /** The current numbering: objects whose memoGen is this one carry their number in memoNo. */
  private gen: object = {};

  /** The number of s's value (1-based; 0 stands for "no operand"). */
  private id(s: Scalar): number {
    if (s.memoGen === this.gen) return s.memoNo!;
    const h = hashOf(s);
    const head = this.first.get(h) ?? 0;
    let i = head;
    while (i !== 0 && !sameValue(this.values[i - 1]!, s)) i = this.next[i - 1]!;
    if (i === 0) {
      this.values.push(s);
      this.next.push(head);
      i = this.values.length;
      this.first.set(h, i);
    }
    // The number is a cache on the object, not part of its value (which stays immutable).
    const numbered = s as Reg<bigint>;
    numbered.memoGen = this.gen;
    numbered.memoNo = i;
    return i;
  }

  /** The key of operation `op` (0 <= op < MEMO_OPS) on a and b (b null for one operand). */
  key(op: number, a: Scalar, b: Scalar | null): number {
    // Numbering starts again only here, before this key's two numbers are taken.
    if (this.values.length > this.limit - 2) {
      this.values.length = 0;
      this.next.length = 0;
      this.first.clear();
      this.gen = {};
      this.clearResults();
    }
    const ia = this.id(a);
    const ib = b === null ? 0 : this.id(b);
    return (op * ID_SPAN + ia) * ID_SPAN + ib;
  }

  get(key: number): unknown {
    const keys = this.resultKeys;
    const m = keys.length - 1;
    for (let i = slotOf(key, m); ; i = (i + 1) & m) {
      const k = keys[i]!;
      if (k === key) return this.resultVals[i];
      if (k === EMPTY) return undefined;
    }
  }

  set(key: number, result: unknown): void {
    if (this.resultCount >= this.limit) this.clearResults();
    else if (2 * this.resultCount >= this.resultKeys.length && this.resultKeys.length < this.maxSlots) this.grow();
    const keys = this.resultKeys;
    const m = keys.length - 1;
    let i = slotOf(key, m);
    while (keys[i] !== EMPTY && keys[i] !== key) i = (i + 1) & m;
    if (keys[i] === EMPTY) { keys[i] = key; this.resultCount++; }
    this.resultVals[i] = result;
  }

  /** Twice the slots, every result placed again (their slots depend on the table's size). */
  private grow(): void {
    const oldKeys = this.resultKeys;
    const oldVals = this.resultVals;
    const keys = new Float64Array(2 * oldKeys.length).fill(EMPTY);
    const vals = new Array<unknown>(keys.length).fill(undefined);
    const m = keys.length - 1;
    for (let j = 0; j < oldKeys.length; j++) {
      const key = oldKeys[j]!;
      if (key === EMPTY) continue;
      let i = slotOf(key, m);
      while (keys[i] !== EMPTY) i = (i + 1) & m;
      keys[i] = key;
      vals[i] = oldVals[j];
    }
    this.resultKeys = keys;
    this.resultVals = vals;
  }

  private clearResults(): void {
    if (this.resultCount === 0) return;
    this.resultKeys.fill(EMPTY);
    this.resultVals.fill(undefined);
    this.resultCount = 0;
  }
}

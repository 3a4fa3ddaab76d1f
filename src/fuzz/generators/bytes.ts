/**
 * Byte arrays for run inputs (packets, ctx, map values), one draw of the random generator per
 * array (see drawBytes). fast-check's uint8Array draws every byte as an integer arbitrary with its own Value
 * object: for the ~600 bytes of a case's inputs that was a tenth of a campaign's allocation and
 * most of the time spent generating inputs, which only accepted programs ever use.
 *
 * Bias (fast-check's small-value preference, one draw in `biasFactor`): a short array of small
 * bytes. Shrinking keeps a failing input's prefix (shorter first) and then zeroes bytes, so a
 * minimised finding shows only the bytes that matter.
 */
import fc from 'fast-check';

/** Individual non-zero bytes tried as zero when shrinking (the halves are tried first). */
const SHRINK_BYTES = 16;

/**
 * `min` .. `max` bytes from the random stream; biased (one time in `biasFactor`): a short array of
 * small bytes. The length and a 32-bit seed come from the stream, the bytes from a small local
 * generator (mulberry32) over that seed: one draw of fast-check's generator per array rather
 * than one per four bytes (a case's inputs are hundreds of bytes).
 */
export function drawBytes(mrng: fc.Random, biasFactor: number | undefined, min: number, max: number): Uint8Array {
  const biased = biasFactor !== undefined && mrng.nextInt(1, biasFactor) === 1;
  const len = min === max ? min : mrng.nextInt(min, biased ? min + ((max - min) >> 3) : max);
  const out = new Uint8Array(len);
  fillBytes(out, 0, len, mrng.nextInt(-0x80000000, 0x7fffffff), biased);
  return out;
}

/**
 * drawBytes written into `out` from `at` (which must have room for `max` bytes): the same draws,
 * the same bytes; returns the length. For callers that give many arrays one backing store.
 */
export function drawBytesInto(mrng: fc.Random, biasFactor: number | undefined, min: number, max: number, out: Uint8Array, at: number): number {
  const biased = biasFactor !== undefined && mrng.nextInt(1, biasFactor) === 1;
  const len = min === max ? min : mrng.nextInt(min, biased ? min + ((max - min) >> 3) : max);
  fillBytes(out, at, len, mrng.nextInt(-0x80000000, 0x7fffffff), biased);
  return len;
}

/** `len` bytes of mulberry32 from `seed` at out[at..]; small bytes (0..3) when biased. */
function fillBytes(out: Uint8Array, at: number, len: number, seed: number, biased: boolean): void {
  const mask = biased ? 0x03030303 : -1;
  let state = seed;
  const end = at + len;
  for (let i = at; i < end; i += 4) {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const w = (t ^ (t >>> 14)) & mask;
    out[i] = w;
    if (i + 1 < end) out[i + 1] = w >>> 8;
    if (i + 2 < end) out[i + 2] = w >>> 16;
    if (i + 3 < end) out[i + 3] = w >>> 24;
  }
}

/** Shrink candidates of `v` (at least `min` bytes long), each shorter or with fewer non-zero bytes (so shrinking ends). */
export function* smallerBytes(v: Uint8Array, min: number): Generator<Uint8Array> {
  const n = v.length;
  if (n > min) {
    yield v.slice(0, min);
    const mid = (min + n) >> 1;
    if (mid > min) yield v.slice(0, mid);
    if (n - 1 > mid) yield v.slice(0, n - 1);
  }
  let nonZero = 0;
  for (let i = 0; i < n; i++) if (v[i] !== 0) nonZero++;
  if (nonZero === 0) return;
  yield new Uint8Array(n);
  if (nonZero === 1) return;
  const half = n >> 1;
  for (const [from, to] of [[0, half], [half, n]] as const) {
    if (v.subarray(from, to).some((b) => b !== 0) && v.subarray(from === 0 ? half : 0, from === 0 ? n : half).some((b) => b !== 0)) {
      const c = v.slice();
      c.fill(0, from, to);
      yield c;
    }
  }
  let tried = 0;
  for (let i = 0; i < n && tried < SHRINK_BYTES; i++) {
    if (v[i] === 0) continue;
    tried++;
    const c = v.slice();
    c[i] = 0;
    yield c;
  }
}

class BytesArbitrary extends fc.Arbitrary<Uint8Array> {
  constructor(private readonly minLength: number, private readonly maxLength: number) {
    super();
  }

  generate(mrng: fc.Random, biasFactor: number | undefined): fc.Value<Uint8Array> {
    return new fc.Value(drawBytes(mrng, biasFactor, this.minLength, this.maxLength), undefined);
  }

  canShrinkWithoutContext(value: unknown): value is Uint8Array {
    return value instanceof Uint8Array && value.length >= this.minLength && value.length <= this.maxLength;
  }

  shrink(value: Uint8Array): fc.Stream<fc.Value<Uint8Array>> {
    return new fc.Stream(smallerBytes(value, this.minLength)).map((b) => new fc.Value(b, undefined));
  }
}

/** Byte arrays of `minLength` .. `maxLength` bytes (default 0 .. 64). */
export function bytesArb(o: { minLength?: number; maxLength?: number } = {}): fc.Arbitrary<Uint8Array> {
  const min = o.minLength ?? 0;
  return new BytesArbitrary(min, Math.max(min, o.maxLength ?? 64));
}

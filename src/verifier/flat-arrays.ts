/**
 * Zeroed typed arrays for the per-program tables (the CFG's, the loop and liveness analyses',
 * exploration's per-instruction marks), carved from shared buffers. A typed array of more than
 * 64 bytes made on its own gets a buffer of its own outside the JS heap, which costs several
 * times a view on an existing buffer to make and more to free; a small program needs a dozen
 * such tables per verification. A carved array keeps its whole buffer alive while it lives (at
 * most POOL_BYTES per retained CFG); large tables (big programs) still get buffers of their own.
 */
const POOL_BYTES = 1 << 15;
/** Tables above this many bytes are allocated on their own. */
const OWN_BUFFER_BYTES = 1 << 12;

let pool = new ArrayBuffer(POOL_BYTES);
let used = 0;

/** The offset of `bytes` fresh (zero) bytes in `pool`, 8-aligned; -1 when the table is too large to carve. */
function carve(bytes: number): number {
  const size = (bytes + 7) & ~7;
  if (size > OWN_BUFFER_BYTES) return -1;
  if (used + size > POOL_BYTES) {
    // A new buffer: the old one's carved arrays keep it alive as long as they live.
    pool = new ArrayBuffer(POOL_BYTES);
    used = 0;
  }
  const at = used;
  used += size;
  return at;
}

export function zeroedU8(n: number): Uint8Array<ArrayBuffer> {
  const at = carve(n);
  return at < 0 ? new Uint8Array(n) : new Uint8Array(pool, at, n);
}

export function zeroedU16(n: number): Uint16Array<ArrayBuffer> {
  const at = carve(2 * n);
  return at < 0 ? new Uint16Array(n) : new Uint16Array(pool, at, n);
}

export function zeroedI32(n: number): Int32Array<ArrayBuffer> {
  const at = carve(4 * n);
  return at < 0 ? new Int32Array(n) : new Int32Array(pool, at, n);
}

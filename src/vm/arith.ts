/**
 * 64-bit arithmetic on (lo, hi) int32 pairs, without allocation: results go to the shared
 * scratch `T` (T[0] = lo, T[1] = hi). The fast paths use exact double arithmetic (values below
 * 2^53); BigInt only for the wide cases of division. Kernel semantics: division by zero gives
 * 0, modulo by zero leaves the dividend, INT_MIN / -1 = INT_MIN, INT_MIN % -1 = 0.
 */
export const T = new Int32Array(2);

const TWO32 = 4294967296;
const TWO53 = 9007199254740992;

function putNumber(q: number): void {
  T[0] = q | 0;
  T[1] = Math.floor(q / TWO32) | 0;
}

function putBig(v: bigint): void {
  const u = BigInt.asUintN(64, v);
  T[0] = Number(u & 0xffffffffn) | 0;
  T[1] = Number(u >> 32n) | 0;
}

const big = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
const sbig = (lo: number, hi: number): bigint => (BigInt(hi | 0) << 32n) | BigInt(lo >>> 0);

/** Low 64 bits of a * b. */
export function mul64(alo: number, ahi: number, blo: number, bhi: number): void {
  const a0 = alo & 0xffff, a1 = alo >>> 16, b0 = blo & 0xffff, b1 = blo >>> 16;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  const high = p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
  T[1] = (Math.imul(alo, bhi) + Math.imul(ahi, blo) + high) | 0;
  T[0] = Math.imul(alo, blo);
}

/** Unsigned a / b (0 when b = 0). */
export function udiv64(alo: number, ahi: number, blo: number, bhi: number): void {
  if (blo === 0 && bhi === 0) { T[0] = 0; T[1] = 0; return; }
  const ah = ahi >>> 0, bh = bhi >>> 0;
  if (ah < 0x200000 && bh < 0x200000) {
    const a = ah * TWO32 + (alo >>> 0), b = bh * TWO32 + (blo >>> 0);
    putNumber(Math.floor(a / b));
    return;
  }
  putBig(big(alo, ahi) / big(blo, bhi));
}

/** Unsigned a % b (a when b = 0). */
export function umod64(alo: number, ahi: number, blo: number, bhi: number): void {
  if (blo === 0 && bhi === 0) { T[0] = alo; T[1] = ahi; return; }
  const ah = ahi >>> 0, bh = bhi >>> 0;
  if (ah < 0x200000 && bh < 0x200000) {
    const a = ah * TWO32 + (alo >>> 0), b = bh * TWO32 + (blo >>> 0);
    putNumber(a % b);
    return;
  }
  putBig(big(alo, ahi) % big(blo, bhi));
}

function sfits(lo: number, hi: number): boolean {
  return hi >= -0x200000 && hi < 0x200000;
}

/** Signed a / b, truncating (0 when b = 0; INT64_MIN / -1 = INT64_MIN). */
export function sdiv64(alo: number, ahi: number, blo: number, bhi: number): void {
  if (blo === 0 && bhi === 0) { T[0] = 0; T[1] = 0; return; }
  if (sfits(alo, ahi) && sfits(blo, bhi)) {
    const a = ahi * TWO32 + (alo >>> 0), b = bhi * TWO32 + (blo >>> 0);
    const q = Math.trunc(a / b);
    putNumber(q === 0 ? 0 : q);
    return;
  }
  const a = sbig(alo, ahi), b = sbig(blo, bhi);
  if (b === -1n) { putBig(-a); return; }
  putBig(a / b);
}

/** Signed a % b, sign of the dividend (a when b = 0; INT64_MIN % -1 = 0). */
export function smod64(alo: number, ahi: number, blo: number, bhi: number): void {
  if (blo === 0 && bhi === 0) { T[0] = alo; T[1] = ahi; return; }
  if (sfits(alo, ahi) && sfits(blo, bhi)) {
    const a = ahi * TWO32 + (alo >>> 0), b = bhi * TWO32 + (blo >>> 0);
    const r = a % b;
    putNumber(r === 0 ? 0 : r);
    return;
  }
  const a = sbig(alo, ahi), b = sbig(blo, bhi);
  if (b === -1n) { T[0] = 0; T[1] = 0; return; }
  putBig(a % b);
}

/** Byte swap of a 32-bit value. */
export function bswap32(x: number): number {
  return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
}

export function bswap16(x: number): number {
  return ((x & 0xff) << 8) | ((x >>> 8) & 0xff);
}

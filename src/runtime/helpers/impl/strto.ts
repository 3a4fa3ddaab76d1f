/**
 * bpf_strtol / bpf_strtoul (kernel/bpf/helpers.c __bpf_strtoull, lib/kstrtox.c): parse an
 * integer at the start of a buffer. The base is flags & 0x1f (0 = guess from a 0 / 0x prefix, 8,
 * 10, 16); leading whitespace and one '-' are skipped; at most 63 characters after them are
 * looked at. The result is the number of characters consumed, -EINVAL (bad flags or base, no
 * digit, a negative number for strtoul) or -ERANGE (overflow); *res is 0 on every failure.
 */
import { type HelperEnv, arg, argNum, setR0Int } from '../../env.js';
import { ERRNO } from '../../maps/errno.js';
import { EINVAL, type HelperFn, argMem } from './common.js';

const ERANGE = -ERRNO.ERANGE;
const BASE_MASK = 0x1f;
/** The parse works on a NUL-terminated copy of at most sizeof(str) - 1 = 63 characters. */
const MAX_DIGITS = 63;
const U64_MAX = (1n << 64n) - 1n;

/** The kernel's isspace (lib/ctype.c): \t \n \v \f \r, space, and Latin-1 NBSP (0xa0). */
const isSpace = (c: number): boolean => (c >= 9 && c <= 13) || c === 32 || c === 0xa0;
const isXdigit = (c: number): boolean => (c >= 48 && c <= 57) || ((c | 0x20) >= 97 && (c | 0x20) <= 102);

/** __bpf_strtoull's outcome: an errno, or the value, its sign and the characters consumed. */
export type StrtoxResult = { err: number } | { value: bigint; negative: boolean; consumed: number };

/** __bpf_strtoull over `buf` with the helper's flags argument. */
export function parseStrtox(buf: Uint8Array, flags: bigint): StrtoxResult {
  let base = Number(flags & BigInt(BASE_MASK));
  if (buf.length === 0) return { err: EINVAL };
  if (base !== 0 && base !== 8 && base !== 10 && base !== 16) return { err: EINVAL };
  if ((flags & ~BigInt(BASE_MASK)) !== 0n) return { err: EINVAL };
  let i = 0;
  while (i < buf.length && isSpace(buf[i]!)) i++;
  const negative = i < buf.length && buf[i] === 45; // '-'
  if (negative) i++;
  if (i === buf.length) return { err: EINVAL };
  const str = buf.subarray(i, i + Math.min(buf.length - i, MAX_DIGITS));
  const at = (k: number): number => (k < str.length ? str[k]! : 0);
  // _parse_integer_fixup_radix
  let s = 0;
  if (base === 0) base = at(0) === 48 ? ((at(1) | 0x20) === 120 && isXdigit(at(2)) ? 16 : 8) : 10;
  if (base === 16 && at(0) === 48 && (at(1) | 0x20) === 120) s = 2;
  // _parse_integer: digits until the first one out of the base; overflow is remembered, not fatal
  let value = 0n;
  let digits = 0;
  let overflow = false;
  const b = BigInt(base);
  for (;; s++) {
    const c = at(s);
    const lc = c | 0x20;
    const d = c >= 48 && c <= 57 ? c - 48 : lc >= 97 && lc <= 102 ? lc - 97 + 10 : 99;
    if (d >= base) break;
    if (value > (U64_MAX - BigInt(d)) / b) overflow = true;
    value = BigInt.asUintN(64, value * b + BigInt(d));
    digits++;
  }
  if (overflow) return { err: ERANGE };
  if (digits === 0) return { err: EINVAL };
  return { value, negative, consumed: i + s };
}

/** Reads (buf, buf_len, flags) and zeroes *res; the result pointer is argument 4. */
function parseArgs(env: HelperEnv): { parsed: StrtoxResult; res: DataView } {
  const len = argNum(env, 2);
  const buf = argMem(env, 1, Number.isNaN(len) || len < 0 ? 0 : len, false);
  const out = argMem(env, 4, 8, true);
  const res = new DataView(out.buffer, out.byteOffset, 8);
  res.setBigUint64(0, 0n, true);
  return { parsed: parseStrtox(buf, arg(env, 3)), res };
}

/** bpf_strtol(buf, buf_len, flags, long *res): signed, -ERANGE outside s64. */
export const strtol: HelperFn = (env) => {
  const { parsed, res } = parseArgs(env);
  if ('err' in parsed) { setR0Int(env, parsed.err); return; }
  const v = parsed.negative ? BigInt.asUintN(64, -parsed.value) : parsed.value;
  // (long long)-_res > 0 / (long long)_res < 0: the sign did not survive the conversion
  if (parsed.negative ? BigInt.asIntN(64, v) > 0n : BigInt.asIntN(64, v) < 0n) { setR0Int(env, ERANGE); return; }
  res.setBigUint64(0, v, true);
  setR0Int(env, parsed.consumed);
};

/** bpf_strtoul(buf, buf_len, flags, unsigned long *res): a leading '-' is -EINVAL. */
export const strtoul: HelperFn = (env) => {
  const { parsed, res } = parseArgs(env);
  if ('err' in parsed) { setR0Int(env, parsed.err); return; }
  if (parsed.negative) { setR0Int(env, EINVAL); return; }
  res.setBigUint64(0, parsed.value, true);
  setR0Int(env, parsed.consumed);
};


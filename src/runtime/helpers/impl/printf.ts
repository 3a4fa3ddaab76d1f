/**
 * The format language of bpf_trace_printk / bpf_snprintf / bpf_trace_vprintk, as
 * bpf_bprintf_prepare() accepts it: %d %i %u %x %X with l/ll, %c, %s, %p, %pK, %px, %pI4/%pi4,
 * %pI6/%pi6, %pks/%pus, %%, and the flags/width "[0 +-][num]". Anything else is -EINVAL.
 * The verifier checks bpf_snprintf's constant format with it too (check_bpf_snprintf_call).
 */

export interface PrintfArgs {
  /** The raw u64 arguments in order. */
  args: readonly bigint[];
  /** Reads a NUL-terminated string at a pointer argument ('' when unreadable, as the kernel prints). */
  str: (ptr: bigint) => string;
  /** Reads n bytes at a pointer argument (for %pI4 / %pI6), null when unreadable. */
  bytes: (ptr: bigint, n: number) => Uint8Array | null;
}

// The kernel's ctype (lib/ctype.c) is Latin-1 above 0x7f: 0xa0 is a space, 0xa1-0xbf, 0xd7 and
// 0xf7 are punctuation (what may follow %s or %p), the rest of 0xa0-0xff letters, 0x80-0x9f controls.
const isPrint = (c: number): boolean => (c >= 0x20 && c < 0x7f) || c >= 0xa0;
const isSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0;
const isPunct = (c: number): boolean =>
  c > 0x7f ? (c >= 0xa1 && c <= 0xbf) || c === 0xd7 || c === 0xf7 : isPrint(c) && !isSpace(c) && !/[0-9A-Za-z]/.test(String.fromCharCode(c));

function pad(s: string, width: number, flags: string): string {
  if (s.length >= width) return s;
  if (flags.includes('-')) return s.padEnd(width);
  if (flags.includes('0')) {
    const neg = s.startsWith('-') || s.startsWith('+') || s.startsWith(' ');
    return neg ? s[0]! + s.slice(1).padStart(width - 1, '0') : s.padStart(width, '0');
  }
  return s.padStart(width);
}

/** Formats `fmt`; returns null when the kernel would refuse the format (-EINVAL). */
export function formatPrintf(fmt: string, a: PrintfArgs): string | null {
  let out = '';
  let n = 0;
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt.charCodeAt(i);
    // Plain text may carry bytes >= 0x80 (UTF-8, the stable fix b960430ea886 in 6.18.y); ASCII
    // control bytes are refused. After '%' only ASCII parses (checked with the conversion below).
    if (c <= 0x7f && !isPrint(c) && !isSpace(c)) return null;
    if (fmt[i] !== '%') { out += fmt[i]; continue; }
    if (fmt[i + 1] === '%') { out += '%'; i++; continue; }
    if (n >= a.args.length) return null;
    i++;
    let flags = '';
    while (fmt[i] === '0' || fmt[i] === '+' || fmt[i] === '-' || fmt[i] === ' ') flags += fmt[i++];
    let width = 0;
    if (fmt[i] !== undefined && fmt[i]! >= '1' && fmt[i]! <= '9') {
      while (fmt[i] !== undefined && fmt[i]! >= '0' && fmt[i]! <= '9') width = width * 10 + Number(fmt[i++]);
    }
    const v = a.args[n++]!;
    if (fmt[i] === 'p') {
      const nx = fmt.charCodeAt(i + 1);
      if (Number.isNaN(nx) || isSpace(nx) || isPunct(nx)) { out += pad(v === 0n ? '(null)' : v.toString(16).padStart(16, '0'), width, flags); continue; }
      const t = fmt[i + 1];
      if ((t === 'k' || t === 'u') && fmt[i + 2] === 's') {
        i += 2;
        const after = fmt.charCodeAt(i + 1);
        if (!Number.isNaN(after) && !isSpace(after) && !isPunct(after)) return null;
        out += pad(a.str(v), width, flags);
        continue;
      }
      if (t === 'K' || t === 'x' || t === 's' || t === 'S') { i++; out += pad(v.toString(16).padStart(16, '0'), width, flags); continue; }
      if (t === 'B') { i++; out += pad(`0x${v.toString(16)}`, width, flags); continue; }
      if ((t === 'i' || t === 'I') && (fmt[i + 2] === '4' || fmt[i + 2] === '6')) {
        const six = fmt[i + 2] === '6';
        i += 2;
        const b = a.bytes(v, six ? 16 : 4) ?? new Uint8Array(six ? 16 : 4);
        if (!six) out += pad([...b].map((x) => (t === 'i' ? String(x).padStart(3, '0') : String(x))).join('.'), width, flags);
        else {
          const words = Array.from({ length: 8 }, (_, k) => ((b[2 * k]! << 8) | b[2 * k + 1]!).toString(16).padStart(t === 'i' ? 4 : 1, '0'));
          out += pad(t === 'i' ? words.join('') : words.join(':'), width, flags);
        }
        continue;
      }
      return null;
    }
    if (fmt[i] === 's') {
      const after = fmt.charCodeAt(i + 1);
      if (!Number.isNaN(after) && !isSpace(after) && !isPunct(after)) return null;
      out += pad(a.str(v), width, flags);
      continue;
    }
    if (fmt[i] === 'c') { out += pad(String.fromCharCode(Number(v & 0xffn)), width, flags); continue; }
    let bits = 32;
    if (fmt[i] === 'l') { bits = 64; i++; }
    if (fmt[i] === 'l') { i++; }
    const conv = fmt[i];
    if (conv !== 'i' && conv !== 'd' && conv !== 'u' && conv !== 'x' && conv !== 'X') return null;
    let s: string;
    if (conv === 'd' || conv === 'i') {
      const x = BigInt.asIntN(bits, v);
      s = x.toString();
      if (x >= 0n && flags.includes('+')) s = '+' + s;
      else if (x >= 0n && flags.includes(' ')) s = ' ' + s;
    } else {
      const x = BigInt.asUintN(bits, v);
      s = conv === 'u' ? x.toString() : conv === 'x' ? x.toString(16) : x.toString(16).toUpperCase();
    }
    out += pad(s, width, flags);
  }
  return out;
}

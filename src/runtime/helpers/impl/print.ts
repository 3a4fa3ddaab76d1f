/** bpf_trace_printk, bpf_trace_vprintk (captured in env.trace) and bpf_snprintf. */
import { type HelperEnv, arg, argNum, setR0Int } from '../../env.js';
import { EINVAL, type HelperFn } from './common.js';
import { formatPrintf } from './printf.js';
import { readBytes, readCString } from './probe.js';

/** The format string at `p` bounded by `size` bytes; null when no NUL lies within (-EINVAL). */
function fmtAt(env: HelperEnv, p: bigint, size: number): string | null {
  const b = env.mem.slice(p, size, false, env.pc);
  const nul = b.indexOf(0);
  if (nul < 0) return null;
  return String.fromCharCode(...b.subarray(0, nul));
}

function format(env: HelperEnv, fmt: string, args: bigint[]): string | null {
  return formatPrintf(fmt, { args, str: (ptr) => readCString(env, ptr), bytes: (ptr, n) => readBytes(env, ptr, n) });
}

function emit(env: HelperEnv, text: string): void {
  env.trace.push(text.endsWith('\n') ? text.slice(0, -1) : text);
}

/** bpf_trace_printk(fmt, fmt_size, a1, a2, a3): returns the number of bytes written. */
export const tracePrintk: HelperFn = (env) => {
  const fmt = fmtAt(env, arg(env, 1), argNum(env, 2));
  const text = fmt === null ? null : format(env, fmt, [arg(env, 3), arg(env, 4), arg(env, 5)]);
  if (text === null) { setR0Int(env, EINVAL); return; }
  emit(env, text);
  setR0Int(env, text.length);
};

/** u64 arguments packed in memory (snprintf, trace_vprintk): data_len must be a multiple of 8, at most 12 args. */
function packedArgs(env: HelperEnv, n: number): bigint[] | null {
  const len = argNum(env, n + 1);
  if (len % 8 !== 0 || len > 12 * 8) return null;
  if (len === 0) return [];
  const b = env.mem.slice(arg(env, n), len, false, env.pc);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return Array.from({ length: len / 8 }, (_, i) => dv.getBigUint64(i * 8, true));
}

/** The text of (fmt, fmt_size, data, data_len) in arguments n..n+3; null for a bad format or argument array. */
function formatPacked(env: HelperEnv, n: number): string | null {
  const fmt = fmtAt(env, arg(env, n), argNum(env, n + 1));
  const args = packedArgs(env, n + 2);
  return fmt === null || args === null ? null : format(env, fmt, args);
}

export const traceVprintk: HelperFn = (env) => {
  const text = formatPacked(env, 1);
  if (text === null) { setR0Int(env, EINVAL); return; }
  emit(env, text);
  setR0Int(env, text.length);
};

/** bpf_snprintf(str, str_size, fmt, data, data_len): the output truncated to str_size (NUL included); returns the full length + 1. */
export const snprintf: HelperFn = (env) => {
  const size = argNum(env, 2);
  const fmt = readCString(env, arg(env, 3), 4096);
  const args = packedArgs(env, 4);
  const text = args === null ? null : format(env, fmt, args);
  if (text === null) { setR0Int(env, EINVAL); return; }
  if (size > 0) {
    const out = env.mem.slice(arg(env, 1), size, true, env.pc);
    const n = Math.min(text.length, size - 1);
    for (let i = 0; i < n; i++) out[i] = text.charCodeAt(i) & 0xff;
    out[n] = 0;
  }
  setR0Int(env, text.length + 1);
};

/** Text an iterator program wrote to its seq_file (what a read of the iterator's file returns). */
function seqEmit(env: HelperEnv, text: string): void {
  (env.seq ??= []).push(text);
}

/** bpf_seq_printf(seq, fmt, fmt_size, data, data_len): 0, or -EINVAL for a bad format or argument array. */
export const seqPrintf: HelperFn = (env) => {
  const text = formatPacked(env, 2);
  if (text === null) { setR0Int(env, EINVAL); return; }
  seqEmit(env, text);
  setR0Int(env, 0);
};

/** bpf_seq_write(seq, data, len): the bytes as they are; 0. */
export const seqWrite: HelperFn = (env) => {
  const b = env.mem.slice(arg(env, 2), argNum(env, 3), false, env.pc);
  seqEmit(env, String.fromCharCode(...b));
  setR0Int(env, 0);
};

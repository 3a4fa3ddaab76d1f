/**
 * Event traces for tracing programs: JSON Lines, one event per line, what `bpflab trace record`
 * writes and `bpflab run --trace` replays.
 *
 *   {"hook":"tracepoint/syscalls/sys_enter_execve","ts_ns":"1733480000123456789","cpu":1,
 *    "task":{"pid":4242,"tgid":4242,"uid":1000,"gid":1000,"comm":"bash","cgroup_id":"1"},
 *    "ctx":"<hex: the raw context bytes>",
 *    "args":["0x7ffd5e1c2a10", "0x7ffd5e1c2b80"],    (kprobe PARM1..6 / raw_tracepoint args[], instead of ctx)
 *    "ret":"0",                                      (kretprobe: the return value)
 *    "user":{"0x7ffd5e1c2a10":"<hex>"},              (memory snapshots, for bpf_probe_read_user*)
 *    "kernel":{"0xffff8881...":"<hex>"}}             (and for bpf_probe_read_kernel*)
 *
 * Numbers that may exceed 2^53 (addresses, u64 values, timestamps) are decimal or 0x-hex strings;
 * small ones may be plain JSON numbers. Lines starting with `#` and blank lines are skipped.
 */
import { InputError } from '../isa/errors.js';

export interface TraceTask {
  pid?: number;
  tgid?: number;
  uid?: number;
  gid?: number;
  comm?: string;
  cgroupId?: bigint;
}

export interface MemorySnapshot {
  addr: bigint;
  bytes: Uint8Array;
}

export interface TraceEvent {
  /** 1-based line number in the file. */
  line: number;
  /** Byte offset of the line in the file. */
  offset: number;
  /** Normalised hook: kprobe/FN, kretprobe/FN, tracepoint/CAT/NAME, raw_tracepoint/NAME, ... */
  hook: string;
  tsNs: bigint;
  cpu: number;
  task: TraceTask;
  ctx?: Uint8Array;
  args?: bigint[];
  ret?: bigint;
  user: MemorySnapshot[];
  kernel: MemorySnapshot[];
}

/** Longest line accepted (a record with its memory snapshots). */
export const MAX_TRACE_LINE = 4 << 20;
/** Largest memory snapshot or ctx in one event. */
export const MAX_SNAPSHOT = 1 << 20;

const HOOK_ALIASES: Record<string, string> = {
  tp: 'tracepoint', raw_tp: 'raw_tracepoint', 'raw_tracepoint.w': 'raw_tracepoint', 'raw_tp.w': 'raw_tracepoint',
  'kprobe.s': 'kprobe', 'tp_btf': 'tp_btf',
};

/** The canonical spelling of a hook, from a trace or a program's section name (`tp/a/b` = `tracepoint/a/b`). */
export function normaliseHook(hook: string): string {
  const s = hook.replace(/^\?/, '');
  const i = s.indexOf('/');
  if (i < 0) return s;
  const kind = s.slice(0, i);
  return `${HOOK_ALIASES[kind] ?? kind}/${s.slice(i + 1)}`;
}

class LineError extends Error {}

function u64(v: unknown, what: string): bigint {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new LineError(`${what}: ${v} is not an exact integer (write it as a string)`);
    return BigInt.asUintN(64, BigInt(v));
  }
  if (typeof v === 'string' && /^(-?[0-9]{1,20}|0x[0-9a-fA-F]{1,16})$/.test(v)) return BigInt.asUintN(64, BigInt(v));
  throw new LineError(`${what}: expected an integer or a decimal/0x-hex string, got ${JSON.stringify(v)?.slice(0, 40)}`);
}

function small(v: unknown, what: string, max: number): number {
  const n = u64(v, what);
  if (n > BigInt(max)) throw new LineError(`${what}: ${n} is out of range (at most ${max})`);
  return Number(n);
}

function hexBytes(v: unknown, what: string): Uint8Array {
  if (typeof v !== 'string' || v.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(v)) throw new LineError(`${what}: expected an even number of hex digits`);
  if (v.length / 2 > MAX_SNAPSHOT) throw new LineError(`${what}: ${v.length / 2} bytes exceed ${MAX_SNAPSHOT}`);
  return Uint8Array.from(Buffer.from(v, 'hex'));
}

function snapshots(v: unknown, what: string): MemorySnapshot[] {
  if (v === undefined) return [];
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new LineError(`${what}: expected an object of address → hex bytes`);
  return Object.entries(v as Record<string, unknown>).map(([a, h]) => ({ addr: u64(a, `${what} address`), bytes: hexBytes(h, `${what}[${a}]`) }));
}

const KNOWN = new Set(['hook', 'ts_ns', 'cpu', 'task', 'ctx', 'args', 'ret', 'user', 'kernel', 'fields']);

function parseEvent(o: unknown, line: number, offset: number): TraceEvent {
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw new LineError('expected a JSON object');
  const r = o as Record<string, unknown>;
  for (const k of Object.keys(r)) if (!KNOWN.has(k)) throw new LineError(`unknown field '${k.slice(0, 40)}'`);
  if (typeof r['hook'] !== 'string' || !/^[?\w.+-]+\/[\w.+/:-]+$/.test(r['hook'])) throw new LineError(`hook: expected e.g. "kprobe/do_sys_openat2" or "tracepoint/syscalls/sys_enter_execve"`);
  const ev: TraceEvent = {
    line, offset, hook: normaliseHook(r['hook']), tsNs: r['ts_ns'] === undefined ? 0n : u64(r['ts_ns'], 'ts_ns'),
    cpu: r['cpu'] === undefined ? 0 : small(r['cpu'], 'cpu', 4095), task: {}, user: snapshots(r['user'], 'user'), kernel: snapshots(r['kernel'], 'kernel'),
  };
  const t = r['task'];
  if (t !== undefined) {
    if (!t || typeof t !== 'object' || Array.isArray(t)) throw new LineError('task: expected an object');
    const tk = t as Record<string, unknown>;
    for (const k of Object.keys(tk)) if (!['pid', 'tgid', 'uid', 'gid', 'comm', 'cgroup_id'].includes(k)) throw new LineError(`task: unknown field '${k.slice(0, 40)}'`);
    for (const k of ['pid', 'tgid', 'uid', 'gid'] as const) if (tk[k] !== undefined) ev.task[k] = small(tk[k], `task.${k}`, 0xffffffff);
    if (tk['comm'] !== undefined) {
      if (typeof tk['comm'] !== 'string') throw new LineError('task.comm: expected a string');
      ev.task.comm = tk['comm'].slice(0, 15);
    }
    if (tk['cgroup_id'] !== undefined) ev.task.cgroupId = u64(tk['cgroup_id'], 'task.cgroup_id');
  }
  if (r['ctx'] !== undefined) ev.ctx = hexBytes(r['ctx'], 'ctx');
  if (r['args'] !== undefined) {
    if (!Array.isArray(r['args']) || r['args'].length > 12) throw new LineError('args: expected an array of at most 12 integers');
    ev.args = r['args'].map((a, i) => u64(a, `args[${i}]`));
  }
  if (r['ret'] !== undefined) ev.ret = u64(r['ret'], 'ret');
  return ev;
}

/**
 * Parses a whole trace. Throws InputError naming the file, the line and its byte offset. `fields`
 * (a recorder's decoded view of ctx, for people) is accepted and ignored: ctx is what runs.
 */
export function readTrace(bytes: Uint8Array, file: string): TraceEvent[] {
  const events: TraceEvent[] = [];
  let off = 0, line = 0;
  const dec = new TextDecoder('utf-8', { fatal: true });
  while (off < bytes.length) {
    line++;
    let end = bytes.indexOf(0x0a, off);
    if (end < 0) end = bytes.length;
    if (end - off > MAX_TRACE_LINE) throw new InputError('trace_malformed', `${file}: line ${line} (byte offset ${off}): longer than ${MAX_TRACE_LINE} bytes`);
    let text: string;
    try { text = dec.decode(bytes.subarray(off, end)); } catch { throw new InputError('trace_malformed', `${file}: line ${line} (byte offset ${off}): not UTF-8`); }
    const trimmed = text.trim();
    if (trimmed && !trimmed.startsWith('#')) {
      let o: unknown;
      try { o = JSON.parse(trimmed); } catch (e) { throw new InputError('trace_malformed', `${file}: line ${line} (byte offset ${off}): not JSON (${(e as Error).message.slice(0, 80)})`); }
      try { events.push(parseEvent(o, line, off)); } catch (e) {
        if (e instanceof LineError) throw new InputError('trace_malformed', `${file}: line ${line} (byte offset ${off}): ${e.message}`);
        throw e;
      }
    }
    off = end + 1;
  }
  return events;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** One event as a trace line (what the recorder writes). */
export function formatTraceEvent(ev: Omit<TraceEvent, 'line' | 'offset'> & { fields?: Record<string, unknown> }): string {
  const o: Record<string, unknown> = { hook: ev.hook, ts_ns: ev.tsNs.toString(), cpu: ev.cpu };
  const t: Record<string, unknown> = {};
  for (const k of ['pid', 'tgid', 'uid', 'gid', 'comm'] as const) if (ev.task[k] !== undefined) t[k] = ev.task[k];
  if (ev.task.cgroupId !== undefined) t['cgroup_id'] = ev.task.cgroupId.toString();
  o['task'] = t;
  if (ev.ctx) o['ctx'] = hex(ev.ctx);
  if (ev.args) o['args'] = ev.args.map((a) => `0x${a.toString(16)}`);
  if (ev.ret !== undefined) o['ret'] = ev.ret.toString();
  if (ev.user.length) o['user'] = Object.fromEntries(ev.user.map((s) => [`0x${s.addr.toString(16)}`, hex(s.bytes)]));
  if (ev.kernel.length) o['kernel'] = Object.fromEntries(ev.kernel.map((s) => [`0x${s.addr.toString(16)}`, hex(s.bytes)]));
  if (ev.fields) o['fields'] = ev.fields;
  return JSON.stringify(o);
}

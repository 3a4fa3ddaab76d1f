/**
 * `bpflab trace record`: bpflab's own recorder programs, one per tracepoint, attached through
 * perf_event_open + BPF_LINK_CREATE, write each event (time, CPU, task identity, the raw
 * tracepoint record, and the user/kernel strings its `char *` fields point to) into one ring
 * buffer that user space reads through mmap. The events come out in the trace format that
 * `bpflab run --trace` replays (src/inputs/trace.ts).
 *
 * Recorder programs are written in bpflab's assembly and loaded like any other program, so what
 * runs in the kernel can be read (`recorderSource`) and verified by bpflab itself.
 */
import { InputError } from '../isa/errors.js';
import { makeProgram, type Program } from '../isa/program.js';
import { normaliseHook, type TraceEvent } from '../inputs/trace.js';
import { loadAsmProgram } from '../loader/asm.js';
import { closeFd, createProgramMaps, kernelAvailable, progLoad, type KernelMap } from '../kernel/index.js';
import { linkCreatePerfEvent, perfEventOpenTracepoint } from '../kernel/perf.js';
import { RingBufReader } from '../kernel/ringbuf-reader.js';
import { tracepoint, type Tracepoint, type TracepointField } from './tracefs.js';

/** Bytes kept of each string a record's `char *` fields point to. */
export const STRING_LEN = 256;
/** Bytes of the raw record kept past its fixed fields when it has __data_loc (dynamic) fields. */
const DYNAMIC_TAIL = 256;
const RINGBUF_SIZE = 4 << 20;
const HDR = 64;

/** What the recorder reads for one tracepoint. */
export interface RecorderPlan {
  hook: string;
  tp: Tracepoint;
  /** Bytes of the raw record copied. */
  recordLen: number;
  /** Pointer fields whose strings are copied, and from which address space. */
  strings: { field: TracepointField; space: 'user' | 'kernel' }[];
  /** Size of one ring-buffer record. */
  size: number;
}

/** Parses `tracepoint/CAT/NAME`, `tp/CAT/NAME` or `CAT:NAME`; other hook kinds say why they are not recorded. */
export function planHook(hook: string): RecorderPlan {
  const h = normaliseHook(/^\w+:\w+$/.test(hook) ? `tracepoint/${hook.replace(':', '/')}` : hook);
  const m = /^tracepoint\/(\w+)\/(\w+)$/.exec(h);
  if (!m) {
    const kind = h.split('/')[0];
    if (kind === 'kprobe' || kind === 'kretprobe')
      throw new InputError('usage', `trace record: ${hook}: kprobes are not recorded (this kernel has no kprobe PMU in /sys/bus/event_source/devices); record a tracepoint instead`);
    throw new InputError('usage', `trace record: ${hook}: give tracepoints as tracepoint/CATEGORY/NAME (or CATEGORY:NAME)`);
  }
  const tp = tracepoint(m[1]!, m[2]!);
  const fixedEnd = Math.max(8, ...tp.fields.map((f) => f.offset + f.size));
  const dynamic = tp.fields.some((f) => f.type.startsWith('__data_loc'));
  const recordLen = Math.min(2048, (fixedEnd + (dynamic ? DYNAMIC_TAIL : 0) + 7) & ~7);
  // syscall tracepoints carry user pointers; other tracepoints' char pointers point into the kernel
  const space = tp.category === 'syscalls' ? 'user' : 'kernel';
  const strings = tp.fields.filter((f) => f.size === 8 && /^(const )?(unsigned )?char \*$/.test(f.type)).slice(0, 4).map((field) => ({ field, space: space as 'user' | 'kernel' }));
  return { hook: h, tp, recordLen, strings, size: HDR + recordLen + strings.length * (16 + STRING_LEN) };
}

/**
 * The recorder for one tracepoint, in bpflab's assembly. Record layout (little-endian):
 * 0 ktime ns, 8 hook index, 12 cpu, 16 pid_tgid, 24 uid_gid, 32 comm[16], 48 cgroup id,
 * 56 record length, 60 string count, 64 the raw record, then per string: address (u64),
 * bpf_probe_read_*_str's result (s32), 4 bytes of padding, STRING_LEN bytes.
 */
export function recorderSource(plan: RecorderPlan, index: number): string {
  const L: string[] = [
    `; bpflab trace recorder for ${plan.hook}`,
    '.type tracepoint',
    `.map events ringbuf key=0 value=0 entries=${RINGBUF_SIZE}`,
    'r6 = r1',
    'r1 = map[events]',
    `r2 = ${plan.size}`,
    'r3 = 0',
    'call bpf_ringbuf_reserve',
    'if r0 == 0x0 goto out',
    'r7 = r0',
    'call bpf_ktime_get_ns',
    '*(u64 *)(r7 +0) = r0',
    `*(u32 *)(r7 +8) = ${index}`,
    'call bpf_get_smp_processor_id',
    '*(u32 *)(r7 +12) = r0',
    'call bpf_get_current_pid_tgid',
    '*(u64 *)(r7 +16) = r0',
    'call bpf_get_current_uid_gid',
    '*(u64 *)(r7 +24) = r0',
    'r1 = r7', 'r1 += 32', 'r2 = 16', 'call bpf_get_current_comm',
    'call bpf_get_current_cgroup_id',
    '*(u64 *)(r7 +48) = r0',
    `*(u32 *)(r7 +56) = ${plan.recordLen}`,
    `*(u32 *)(r7 +60) = ${plan.strings.length}`,
    // the record itself (ctx points at it)
    'r1 = r7', `r1 += ${HDR}`, `r2 = ${plan.recordLen}`, 'r3 = r6', 'call bpf_probe_read_kernel',
  ];
  plan.strings.forEach((s, j) => {
    const base = HDR + plan.recordLen + j * (16 + STRING_LEN);
    L.push(
      `r3 = *(u64 *)(r6 +${s.field.offset})`,
      `*(u64 *)(r7 +${base}) = r3`,
      'r1 = r7', `r1 += ${base + 16}`, `r2 = ${STRING_LEN}`,
      `call ${s.space === 'user' ? 'bpf_probe_read_user_str' : 'bpf_probe_read_kernel_str'}`,
      `*(u32 *)(r7 +${base + 8}) = r0`,
    );
  });
  L.push('r1 = r7', 'r2 = 0', 'call bpf_ringbuf_submit', 'out:', 'r0 = 0', 'exit');
  return L.join('\n') + '\n';
}

const cstr = (b: Uint8Array): string => { const z = b.indexOf(0); return Buffer.from(z < 0 ? b : b.subarray(0, z)).toString('latin1'); };

/** A recorder record as a trace event (with the tracepoint's fields decoded for people). */
export function decodeRecord(rec: Uint8Array, plans: readonly RecorderPlan[]): (Omit<TraceEvent, 'line' | 'offset'> & { fields: Record<string, unknown> }) | undefined {
  if (rec.length < HDR) return undefined;
  const dv = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
  const plan = plans[dv.getUint32(8, true)];
  if (!plan || rec.length < plan.size) return undefined;
  const pidTgid = dv.getBigUint64(16, true), uidGid = dv.getBigUint64(24, true);
  const ctx = rec.slice(HDR, HDR + plan.recordLen);
  const cdv = new DataView(ctx.buffer);
  const fields: Record<string, unknown> = {};
  for (const f of plan.tp.fields) {
    if (f.name.startsWith('common_') || f.offset + f.size > ctx.length) continue;
    if (f.size === 8) { const v = cdv.getBigUint64(f.offset, true); fields[f.name] = f.signed ? BigInt.asIntN(64, v).toString() : `0x${v.toString(16)}`; }
    else if (f.size === 4 && f.type.startsWith('__data_loc')) { const loc = cdv.getUint32(f.offset, true); const o = loc & 0xffff, n = loc >>> 16; fields[f.name] = o + n <= ctx.length ? cstr(ctx.subarray(o, o + n)) : null; }
    else if (f.size === 4) fields[f.name] = f.signed ? cdv.getInt32(f.offset, true) : cdv.getUint32(f.offset, true);
    else if (f.size === 2) fields[f.name] = f.signed ? cdv.getInt16(f.offset, true) : cdv.getUint16(f.offset, true);
    else if (f.size === 1) fields[f.name] = f.signed ? cdv.getInt8(f.offset) : cdv.getUint8(f.offset);
  }
  const user: TraceEvent['user'] = [], kernel: TraceEvent['kernel'] = [];
  plan.strings.forEach((s, j) => {
    const base = HDR + plan.recordLen + j * (16 + STRING_LEN);
    const addr = dv.getBigUint64(base, true), n = dv.getInt32(base + 8, true);
    if (n <= 0 || addr === 0n) return;
    const bytes = rec.slice(base + 16, base + 16 + Math.min(n, STRING_LEN));
    (s.space === 'user' ? user : kernel).push({ addr, bytes });
    fields[s.field.name] = cstr(bytes);
  });
  return {
    hook: plan.hook, tsNs: dv.getBigUint64(0, true), cpu: dv.getUint32(12, true),
    task: { pid: Number(pidTgid & 0xffffffffn), tgid: Number(pidTgid >> 32n), uid: Number(uidGid & 0xffffffffn), gid: Number(uidGid >> 32n), comm: cstr(rec.subarray(32, 48)), cgroupId: dv.getBigUint64(48, true) },
    ctx, user, kernel, fields,
  };
}

export interface RecordOptions {
  seconds: number;
  /** Stop after this many events (default: no limit). */
  maxEvents?: number;
  onEvent: (ev: NonNullable<ReturnType<typeof decodeRecord>>) => void;
  /** Called once the programs are attached (e.g. to start a workload). */
  onAttached?: () => void;
}

export interface RecordResult {
  events: number;
  hooks: string[];
}

/** Records `hooks` for `seconds`, calling onEvent per event in ring-buffer order. */
export async function recordTrace(hooks: readonly string[], opts: RecordOptions): Promise<RecordResult> {
  const avail = kernelAvailable();
  if (!avail.ok) throw new InputError('kernel', `trace record needs the running kernel: ${avail.reason}`);
  const plans = hooks.map(planHook);
  const programs: Program[] = plans.map((p, i) => makeProgram({ ...loadAsmProgram(recorderSource(p, i), `recorder-${p.tp.name}.s`, {}), name: `bpflab_rec${i}` }));
  const fds: number[] = [];
  let maps: KernelMap[] = [];
  let reader: RingBufReader | undefined;
  let events = 0;
  try {
    maps = createProgramMaps(programs[0]!);
    for (const [i, p] of programs.entries()) {
      const load = progLoad(p, { maps, logLevel: 1 });
      if (load.fd === null) throw new InputError('kernel_reject', `trace record: the kernel rejects the recorder for ${plans[i]!.hook}: ${load.log.trim().split('\n').at(-1)}`);
      fds.push(load.fd);
      const pfd = perfEventOpenTracepoint(plans[i]!.tp.id);
      fds.push(pfd);
      fds.push(linkCreatePerfEvent(load.fd, pfd));
    }
    reader = new RingBufReader(maps[0]!.fd, RINGBUF_SIZE);
    opts.onAttached?.();
    const until = Date.now() + opts.seconds * 1000;
    const drain = (): boolean => {
      for (const rec of reader!.consume()) {
        const ev = decodeRecord(rec, plans);
        if (!ev) continue;
        opts.onEvent(ev);
        if (opts.maxEvents !== undefined && ++events >= opts.maxEvents) return true;
        if (opts.maxEvents === undefined) events++;
      }
      return false;
    };
    while (Date.now() < until) {
      if (drain()) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    drain();
  } finally {
    reader?.close();
    for (const fd of fds.reverse()) closeFd(fd);
    for (const m of maps) m.close();
  }
  return { events, hooks: plans.map((p) => p.hook) };
}

/**
 * Tracing programs over an event trace, the way a tool attaches them: every program of an
 * object at its hook, all sharing the object's maps; each event runs the programs attached to
 * its hook with the event's context, task, CPU, time and memory snapshots answering the helpers;
 * ring-buffer and perf-buffer records are read after each event and decoded with the object's BTF.
 */
import { InputError } from '../isa/errors.js';
import type { MapSpec, Program } from '../isa/program.js';
import type { TraceEvent } from '../inputs/trace.js';
import { normaliseHook } from '../inputs/trace.js';
import { parseBtf, type Btf } from '../loader/btf/index.js';
import { PT_REGS_PARM, PT_REGS_RC, PT_REGS_SIZE } from '../runtime/context/tracing.js';
import { AddressSpace, Clock } from '../runtime/env.js';
import { isPerfEventArray, isRingBufMap } from '../runtime/maps/guards.js';
import type { BpfMap } from '../runtime/maps/types.js';
import { instantiateMap, Vm, type RunInput, type RunResult } from '../vm/index.js';
import { decodeValue, findStruct, inferEventStruct, type EventValue } from './decode-event.js';
import { dumpProcessMaps } from './packet-engine.js';

/** One record a program wrote to a ring buffer or perf buffer. */
export interface EventOutput {
  /** Line of the trace event that produced it. */
  line: number;
  hook: string;
  program: string;
  map: string;
  kind: 'ringbuf' | 'perf';
  /** perf buffers: the index (CPU) written to. */
  index?: number;
  /** The struct it was decoded as (absent: not decodable, see `hex`). */
  type?: string;
  data?: EventValue;
  hex: string;
}

export interface TraceRunError {
  line: number;
  program: string;
  error: string;
}

export interface TraceRunResult {
  events: number;
  /** Program runs (an event runs every program attached to its hook). */
  runs: number;
  /** Events whose hook no program attaches to, per hook. */
  unmatched: Record<string, number>;
  outputs: EventOutput[];
  errors: TraceRunError[];
  maps: Record<string, Record<string, string>>;
  seconds: number;
}

export interface TraceRunOptions {
  engine?: 'vm' | 'jit';
  /** The hook for programs whose section names none (assembly, raw bytecode). */
  attach?: string;
  /** Decode every record as this struct (default: inferred from the record's size). */
  eventType?: string;
  seed?: number;
  /**
   * CPUs the per-CPU and LRU maps model. Default: enough for every event's cpu (the trace shows
   * at least that many); an event on a CPU outside a given count is bad input.
   */
  cpus?: number;
  onOutput?: (o: EventOutput) => void;
  onError?: (e: TraceRunError) => void;
}

/** The hook a program attaches to, spelled as traces spell it (undefined: not a tracing program). */
export function programHook(p: Program): string | undefined {
  if (!p.section.includes('/')) return undefined;
  const h = normaliseHook(p.section);
  return /^(kprobe|kretprobe|tracepoint|raw_tracepoint|tp_btf|fentry|fexit|fmod_ret|uprobe|uretprobe|perf_event|lsm)\//.test(h) ? h : undefined;
}

const le64 = (v: bigint): Uint8Array => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true); return b; };

/** The context bytes `program` sees for `ev` (from ctx, or built from args/ret). */
export function eventContext(program: Program, ev: TraceEvent): Pick<RunInput, 'ctx' | 'mem' | 'entry'> {
  const args = ev.args ?? [];
  switch (program.type) {
    case 'kprobe': {
      if (ev.ctx) return { ctx: ev.ctx };
      const regs = new Uint8Array(PT_REGS_SIZE);
      args.slice(0, PT_REGS_PARM.length).forEach((a, i) => regs.set(le64(a), PT_REGS_PARM[i]!));
      if (ev.ret !== undefined) regs.set(le64(ev.ret), PT_REGS_RC);
      return { ctx: regs };
    }
    case 'tracepoint': {
      if (ev.ctx) return { ctx: ev.ctx };
      // syscall tracepoints have a fixed record: common fields, the syscall number, then args[6] or ret
      const m = /^tracepoint\/syscalls\/sys_(enter|exit)_/.exec(ev.hook);
      if (!m) throw new InputError('trace_malformed', `event at line ${ev.line}: ${ev.hook} needs "ctx" (the raw tracepoint record)`);
      const rec = new Uint8Array(m[1] === 'enter' ? 64 : 24);
      if (m[1] === 'enter') args.slice(0, 6).forEach((a, i) => rec.set(le64(a), 16 + 8 * i));
      else rec.set(le64(ev.ret ?? 0n), 16);
      return { ctx: rec };
    }
    case 'raw_tracepoint': case 'tracing': case 'lsm': {
      // u64 args[], and for fexit the return value after them
      const all = ev.ret !== undefined && program.section.startsWith('fexit') ? [...args, ev.ret] : args;
      const bytes = ev.ctx ?? Uint8Array.from(all.flatMap((a) => [...le64(a)]));
      return program.type === 'raw_tracepoint' ? { ctx: bytes } : { mem: bytes, entry: 'mem' };
    }
    default:
      if (ev.ctx) return { ctx: ev.ctx };
      throw new InputError('trace_malformed', `event at line ${ev.line}: a ${program.type} program needs "ctx"`);
  }
}

interface Attached {
  program: Program;
  hook: string;
  runner: { run(input: RunInput): RunResult };
  btf: Btf | undefined;
}

const cpusModelled = (n: number): string => (n === 1 ? '1 CPU' : `${n} CPUs`);

/** Runs the tracing programs of one object over `events`. */
export async function runTrace(programs: readonly Program[], events: readonly TraceEvent[], file: string, opts: TraceRunOptions = {}): Promise<TraceRunResult> {
  let maxCpu = 0;
  for (const ev of events) {
    if (opts.cpus !== undefined && ev.cpu >= opts.cpus)
      throw new InputError('usage', `${file}: the trace's event at line ${ev.line} ran on cpu ${ev.cpu}, outside the ${cpusModelled(opts.cpus)} modelled`);
    if (ev.cpu > maxCpu) maxCpu = ev.cpu;
  }
  const cpus = opts.cpus ?? maxCpu + 1;
  const shared = new Map<string, BpfMap>();
  const mapFor = (spec: MapSpec): BpfMap => {
    let m = shared.get(spec.name);
    if (!m) { m = instantiateMap(spec, cpus); shared.set(spec.name, m); }
    return m;
  };
  const attached: Attached[] = [];
  const btfCache = new Map<Uint8Array, Btf>();
  for (const p of programs) {
    const hook = programHook(p) ?? (opts.attach !== undefined && !p.section ? normaliseHook(opts.attach) : undefined);
    if (!hook) continue;
    const maps = p.maps.map(mapFor);
    let runner: Attached['runner'];
    if (opts.engine === 'jit') {
      const { Jit } = await import('../jit/index.js');
      runner = new Jit(p, { mode: 'checked', maps });
    } else runner = new Vm(p, { maps });
    let btf: Btf | undefined;
    if (p.btf) {
      btf = btfCache.get(p.btf.raw);
      if (!btf) { btf = parseBtf(p.btf.raw, `${file}: .BTF`); btfCache.set(p.btf.raw, btf); }
    }
    attached.push({ program: p, hook, runner, btf });
  }
  if (!attached.length) throw new InputError('usage', `${file}: no tracing program to attach (sections: ${programs.map((p) => p.section || `${p.name} (no section: give --attach HOOK)`).join(', ') || 'none'})`);
  const byHook = new Map<string, Attached[]>();
  for (const a of attached) byHook.set(a.hook, [...(byHook.get(a.hook) ?? []), a]);

  const explicit = opts.eventType;
  const outputs: EventOutput[] = [];
  const errors: TraceRunError[] = [];
  const unmatched: Record<string, number> = {};
  let runs = 0;
  const t0 = process.hrtime.bigint();
  for (const ev of events) {
    const targets = byHook.get(ev.hook);
    if (!targets) { unmatched[ev.hook] = (unmatched[ev.hook] ?? 0) + 1; continue; }
    const userMem = new AddressSpace(), kernelMem = new AddressSpace();
    for (const s of ev.user) userMem.map(s.addr, s.bytes);
    for (const s of ev.kernel) kernelMem.map(s.addr, s.bytes);
    for (const a of targets) {
      runs++;
      const input: RunInput = {
        ...eventContext(a.program, ev), task: ev.task, cpu: ev.cpu, userMem, kernelMem, seed: opts.seed ?? 1,
        ...(ev.tsNs ? { clock: new Clock({ monoNs: ev.tsNs }) } : {}),
      };
      const r = a.runner.run(input);
      if (r.fault || r.error) {
        const e = { line: ev.line, program: a.program.name, error: (r.fault ?? r.error)!.message };
        errors.push(e);
        opts.onError?.(e);
      }
      // what user space would read now: the records this run produced, in order
      for (const spec of a.program.maps) {
        const m = shared.get(spec.name)!;
        const records: { data: Uint8Array; index?: number }[] = isRingBufMap(m) ? m.consume().map((d) => ({ data: d })) : isPerfEventArray(m) ? m.consume() : [];
        for (const rec of records) {
          const o: EventOutput = { line: ev.line, hook: ev.hook, program: a.program.name, map: spec.name, kind: isRingBufMap(m) ? 'ringbuf' : 'perf', hex: Buffer.from(rec.data).toString('hex') };
          if (rec.index !== undefined) o.index = rec.index;
          const st = a.btf ? (explicit ? findStruct(a.btf, explicit) : inferEventStruct(a.btf, rec.data.length)) : undefined;
          if (explicit && a.btf && !st) throw new InputError('usage', `--event-type ${explicit}: no such struct in ${file}'s BTF`);
          if (st) { o.type = `struct ${st.name}`; o.data = decodeValue(a.btf!, st.id, rec.data, 0); }
          outputs.push(o);
          opts.onOutput?.(o);
        }
      }
    }
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { events: events.length, runs, unmatched, outputs, errors, maps: dumpProcessMaps([...shared.values()]), seconds };
}

/**
 * One program attached to a packet path, run packet after packet with its maps persisting, as
 * in a live attach: on the checked VM, the WebAssembly JIT, or the running kernel
 * (BPF_PROG_TEST_RUN per packet on one loaded program and one set of kernel maps).
 *
 * Every engine is handed the same bytes: the Ethernet frame for xdp and tc; for socket filters a
 * 14-byte pseudo MAC header in front of the frame, because BPF_PROG_TEST_RUN pulls one off before
 * a socket filter runs and a packet socket (what tcpdump's filters are written for) sees the
 * frame from its MAC header; cgroup_skb programs see the frame from the network header, as the
 * kernel's test run gives it to them.
 */
import { InputError } from '../isa/errors.js';
import type { Program } from '../isa/program.js';
import { Clock } from '../runtime/env.js';
import type { BpfMap } from '../runtime/maps/types.js';
import type { RunResult } from '../vm/index.js';
import { Vm } from '../vm/index.js';

export type EngineName = 'vm' | 'jit' | 'kernel';

/** What one packet did. */
export interface PacketRun {
  /** r0; the kernel's test run reports its low 32 bits, so every engine does. */
  r0: number;
  /** The packet as the program left it (as BPF_PROG_TEST_RUN's data_out), when it ran. */
  out?: Uint8Array;
  /** A fault or error that stopped the program (vm, jit), or the kernel's refusal of the run. */
  error?: string;
}

export interface PacketEngine {
  readonly name: EngineName;
  run(frame: Uint8Array, tsNs: bigint): PacketRun;
  /** Map contents now (hex key → hex value), for maps user space can read. */
  dumpMaps(): Record<string, Record<string, string>>;
  close(): void;
}

export const PACKET_TYPES = new Set(['xdp', 'sched_cls', 'sched_act', 'socket_filter', 'cgroup_skb']);

/**
 * Why the kernel's test run cannot take `frame` for this program type (undefined: it can). No
 * device hands a program such a frame either: a frame shorter than an Ethernet header, or (skb
 * programs) an IPv4/IPv6 frame whose network header is cut short, which only a capture's snap
 * length produces. Every engine skips these, so that all engines see the same packets.
 */
export function unrunnable(program: Program, frame: Uint8Array): string | undefined {
  if (program.type === 'xdp') return frame.length < 14 ? 'shorter than an Ethernet header' : undefined;
  const proto = frame.length >= 14 ? (frame[12]! << 8) | frame[13]! : -1;
  if (program.type !== 'socket_filter' && frame.length < 14) return 'shorter than an Ethernet header';
  if (proto === 0x0800 && frame.length < 14 + 20) return 'IPv4 header cut short';
  if (proto === 0x86dd && frame.length < 14 + 40) return 'IPv6 header cut short';
  return undefined;
}

/** The bytes the engines are given for `frame` (see the file comment). */
export function engineInput(program: Program, frame: Uint8Array): Uint8Array {
  if (program.type !== 'socket_filter') return frame;
  const d = new Uint8Array(14 + frame.length);
  // the pseudo header carries the frame's EtherType, so skb->protocol is the frame's
  if (frame.length >= 14) { d[12] = frame[12]!; d[13] = frame[13]!; }
  d.set(frame, 14);
  return d;
}

/** The packet after the run, in the frame's coordinates (the pseudo header removed). */
function outputFrame(program: Program, out: Uint8Array | undefined | null): Uint8Array | undefined {
  if (!out) return undefined;
  return program.type === 'socket_filter' ? out.subarray(Math.min(14, out.length)) : out;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Readable contents of in-process maps (those user space can iterate). */
export function dumpProcessMaps(maps: readonly BpfMap[], limit = 65_536): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const m of maps) {
    const entries: Record<string, string> = {};
    out[m.spec.name] = entries;
    if (['prog_array', 'perf_event_array', 'ringbuf', 'queue', 'stack'].includes(m.spec.type)) continue;
    let k = m.nextKey(null);
    let n = 0;
    while (k && n++ < limit) {
      try { entries[hex(k)] = hex(m.lookup(k)); } catch { /* deleted meanwhile */ }
      k = m.nextKey(k);
    }
  }
  return out;
}

/** Time as the program sees it: the capture's clock, starting one second after boot. */
function clockAt(tsNs: bigint, t0: bigint): Clock {
  return new Clock({ monoNs: 1_000_000_000n + (tsNs - t0 > 0n ? tsNs - t0 : 0n) });
}

function fromRunResult(program: Program, r: RunResult): PacketRun {
  const run: PacketRun = { r0: Number(BigInt.asUintN(32, r.r0)) };
  if (r.fault) run.error = r.fault.message;
  else if (r.error) run.error = r.error.message;
  const out = outputFrame(program, r.packet);
  if (out) run.out = out;
  return run;
}

class InProcessEngine implements PacketEngine {
  private t0: bigint | null = null;
  constructor(
    readonly name: 'vm' | 'jit',
    private readonly program: Program,
    private readonly runner: { maps: readonly BpfMap[]; run(input: import('../vm/index.js').RunInput): RunResult },
    private readonly seed: number,
    private readonly cpu: number,
  ) {}
  run(frame: Uint8Array, tsNs: bigint): PacketRun {
    this.t0 ??= tsNs;
    return fromRunResult(this.program, this.runner.run({ packet: engineInput(this.program, frame), clock: clockAt(tsNs, this.t0), seed: this.seed, cpu: this.cpu }));
  }
  dumpMaps() { return dumpProcessMaps(this.runner.maps); }
  close() { /* nothing held outside the process */ }
}

export interface EngineOptions {
  seed?: number;
  /** jit: unchecked code (only for programs the verifier accepted). */
  trusted?: boolean;
  /** vm, jit: CPUs the per-CPU and LRU maps model (default 1). */
  cpus?: number;
  /** vm, jit: the CPU every packet arrives on (default 0; below `cpus`). */
  cpu?: number;
}

/** Loads `program` into the named engine, maps created once for the whole run. */
export async function openPacketEngine(program: Program, engine: EngineName, opts: EngineOptions = {}): Promise<PacketEngine> {
  if (!PACKET_TYPES.has(program.type))
    throw new InputError('usage', `${program.name}: a ${program.type} program does not see packets (--pcap takes xdp, tc, socket_filter and cgroup_skb programs)`);
  const seed = opts.seed ?? 1;
  const cpus = opts.cpus ?? 1, cpu = opts.cpu ?? 0;
  if (engine !== 'kernel' && !(cpu < cpus)) throw new InputError('usage', `${program.name}: cpu ${cpu} is outside the CPUs modelled (0..${cpus - 1})`);
  if (engine === 'vm') return new InProcessEngine('vm', program, new Vm(program, { cpus }), seed, cpu);
  if (engine === 'jit') {
    const { Jit } = await import('../jit/index.js');
    return new InProcessEngine('jit', program, new Jit(program, { mode: opts.trusted ? 'trusted' : 'checked', cpus }), seed, cpu);
  }
  const { KernelPacketEngine } = await import('./kernel-packet-engine.js');
  return KernelPacketEngine.open(program);
}

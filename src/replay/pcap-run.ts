/**
 * A packet program over a capture: every packet through the program in capture order on one
 * engine, maps persisting, with the verdict per packet, a tally per action, the packets as the
 * program left them, and the maps at the end.
 */
import type { Program } from '../isa/program.js';
import { returnName } from '../runtime/context/index.js';
import { toEthernet } from '../inputs/link.js';
import type { Capture } from '../inputs/pcap.js';
import { openPacketEngine, unrunnable, type EngineName, type EngineOptions, type PacketEngine } from './packet-engine.js';

/** What happened to one packet. */
export interface PacketVerdict {
  /** 1-based record number in the capture. */
  index: number;
  tsNs: bigint;
  /** Frame length the program saw. */
  len: number;
  r0: number;
  /**
   * XDP_* / TC_ACT_* names, `accept`/`drop` for socket filters (with `snap`), `allow`/`drop` for
   * cgroup_skb, `error` when the run stopped, `skipped` for frames no engine can be given (see
   * `unrunnable`: shorter than an Ethernet header, or an IP header cut short for skb programs).
   */
  action: string;
  /** Socket filters: bytes of the packet kept (tcpdump's captured length). */
  snap?: number;
  /** The program changed the packet's bytes or length. */
  modified: boolean;
  /** The frame after the program (absent when it did not run). */
  out?: Uint8Array;
  error?: string;
}

export interface PcapRunResult {
  program: string;
  type: string;
  engine: EngineName;
  verdicts: PacketVerdict[];
  /** Packets per action, in first-seen order. */
  tally: Record<string, number>;
  maps: Record<string, Record<string, string>>;
  /** Wall time of the runs (setup excluded). */
  seconds: number;
  packetsPerSecond: number;
  /** kernel engine: the kernel's own time per packet (BPF_PROG_TEST_RUN's duration), ns. */
  kernelNsPerPacket?: number;
}

/** The name of what `r0` means for a packet of `len` bytes. */
export function packetAction(program: Program, r0: number, len: number): { action: string; snap?: number } {
  switch (program.type) {
    case 'socket_filter': return r0 === 0 ? { action: 'drop', snap: 0 } : { action: 'accept', snap: Math.min(r0, len) };
    case 'cgroup_skb': return { action: r0 & 1 ? 'allow' : 'drop' };
    case 'xdp': return { action: returnName('xdp', BigInt(r0)) ?? `XDP_UNKNOWN(${r0})` };
    default: return { action: returnName(program.type, BigInt(r0)) ?? `TC_ACT_UNKNOWN(${r0 | 0})` };
  }
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

export interface PcapRunOptions extends EngineOptions {
  engine?: EngineName;
  /** Called for each packet as soon as it has run (streaming output). */
  onVerdict?: (v: PacketVerdict) => void;
  /** Keep each packet's output bytes in the verdicts (for --out). Default true. */
  keepOutput?: boolean;
}

/** Runs `program` over every packet of `capture` (read from `file`, for messages). */
export async function runPcap(program: Program, capture: Capture, file: string, opts: PcapRunOptions = {}): Promise<PcapRunResult> {
  const frames = capture.packets.map((p) => toEthernet(p, file));
  const engine: PacketEngine = await openPacketEngine(program, opts.engine ?? 'vm', opts);
  const verdicts: PacketVerdict[] = [];
  const tally: Record<string, number> = {};
  const keep = opts.keepOutput !== false;
  let seconds: number;
  try {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < frames.length; i++) {
      const frame = frames[i]!, rec = capture.packets[i]!;
      let v: PacketVerdict;
      const skip = unrunnable(program, frame);
      if (skip !== undefined) {
        v = { index: rec.index, tsNs: rec.tsNs, len: frame.length, r0: 0, action: 'skipped', modified: false, error: skip };
      } else {
        const r = engine.run(frame, rec.tsNs);
        if (r.error) v = { index: rec.index, tsNs: rec.tsNs, len: frame.length, r0: r.r0, action: 'error', modified: false, error: r.error };
        else {
          v = { index: rec.index, tsNs: rec.tsNs, len: frame.length, r0: r.r0, ...packetAction(program, r.r0, frame.length), modified: r.out !== undefined && !sameBytes(r.out, frame) };
          if (keep && r.out) v.out = r.out.slice();
        }
      }
      tally[v.action] = (tally[v.action] ?? 0) + 1;
      verdicts.push(v);
      opts.onVerdict?.(v);
    }
    seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const result: PcapRunResult = {
      program: program.name, type: program.type, engine: engine.name, verdicts, tally, maps: engine.dumpMaps(),
      seconds, packetsPerSecond: frames.length / Math.max(seconds, 1e-9),
    };
    if ('kernelNs' in engine && typeof engine.kernelNs === 'number' && frames.length) result.kernelNsPerPacket = engine.kernelNs / frames.length;
    return result;
  } finally {
    engine.close();
  }
}

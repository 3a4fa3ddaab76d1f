/**
 * `bpflab run FILE --pcap IN [--out OUT] [--jsonl]` and `bpflab run FILE --trace IN.jsonl
 * [--event-type NAME]`: programs over packet captures and event traces (src/replay), with the
 * output a person or a script reads.
 */
import type { Program } from '../../isa/program.js';
import { readCapture, writePcap, writePcapng, type PacketOut } from '../../inputs/pcap.js';
import { readTrace } from '../../inputs/trace.js';
import { runPcap, type PacketVerdict } from '../../replay/pcap-run.js';
import { runTrace, type EventOutput } from '../../replay/trace-run.js';
import type { EngineName } from '../../replay/packet-engine.js';
import { UsageError, type ParsedArgs } from '../args.js';
import { cpuOptions } from '../cpu-options.js';
import type { Io } from '../io.js';

const n = (x: number): string => Math.round(x).toLocaleString('en-US');

/** Map contents for people: small maps in full, large ones as a count. */
function mapLines(maps: Record<string, Record<string, string>>): string[] {
  const lines: string[] = [];
  for (const [name, entries] of Object.entries(maps)) {
    const keys = Object.keys(entries);
    if (keys.length > 16) { lines.push(`  ${name}: ${n(keys.length)} entries (--json lists them)`); continue; }
    lines.push(`  ${name}: ${keys.length ? '' : '(empty)'}`);
    for (const k of keys) lines.push(`    ${k || '-'} = ${entries[k]}`);
  }
  return lines;
}

function verdictJson(v: PacketVerdict): Record<string, unknown> {
  return {
    index: v.index, ts_ns: v.tsNs.toString(), len: v.len, r0: v.r0, action: v.action,
    ...(v.snap !== undefined && { snap: v.snap }), modified: v.modified, ...(v.error && { error: v.error }),
  };
}

export async function runOverPcap(path: string, program: Program, args: ParsedArgs, io: Io): Promise<number> {
  const capPath = args.strings.get('pcap')!;
  const outPath = args.strings.get('out');
  const engine = (args.strings.get('engine') ?? 'vm') as EngineName;
  const json = args.flags.has('json'), jsonl = args.flags.has('jsonl');
  if (json && jsonl) throw new UsageError('run: --json and --jsonl exclude each other');
  const capture = readCapture(io.readFile(capPath), capPath);
  const seed = args.strings.get('seed');
  const res = await runPcap(program, capture, capPath, {
    engine, ...cpuOptions(args, engine), trusted: args.flags.has('trusted') && !args.flags.has('no-verify'), keepOutput: outPath !== undefined,
    ...(seed !== undefined && { seed: Number(seed) }),
    ...(jsonl && { onVerdict: (v: PacketVerdict) => io.out(JSON.stringify(verdictJson(v)) + '\n') }),
  });
  if (outPath !== undefined) {
    const packets: PacketOut[] = res.verdicts.map((v, i) => {
      const p = capture.packets[i]!;
      return { tsNs: p.tsNs, data: v.out ?? p.data, origLen: v.out ? v.out.length : p.origLen, comment: v.error ? `${v.action}: ${v.error}` : v.action };
    });
    io.writeFile(outPath, /\.pcapng$/i.test(outPath) ? writePcapng(packets) : writePcap(packets));
  }
  const errors = res.verdicts.filter((v) => v.action === 'error').length;
  const summary = {
    file: path, program: res.program, type: res.type, engine: res.engine, capture: capPath, format: capture.format,
    packets: res.verdicts.length, tally: res.tally, packetsPerSecond: Math.round(res.packetsPerSecond),
    ...(res.kernelNsPerPacket !== undefined && { kernelNsPerPacket: Math.round(res.kernelNsPerPacket) }),
    modified: res.verdicts.filter((v) => v.modified).length, errors, maps: res.maps,
  };
  if (json) io.out(JSON.stringify({ ...summary, results: res.verdicts.map(verdictJson) }) + '\n');
  else if (jsonl) io.out(JSON.stringify({ summary }) + '\n');
  else {
    const lines = [`${capPath}: ${n(res.verdicts.length)} packets through ${res.program} (${res.type}) on the ${res.engine}: ${n(res.packetsPerSecond)} packets/s` +
      (res.kernelNsPerPacket !== undefined ? ` (the kernel's own run time: ${n(res.kernelNsPerPacket)} ns per packet)` : '')];
    const width = Math.max(...Object.keys(res.tally).map((k) => k.length), 6);
    for (const [action, count] of Object.entries(res.tally)) lines.push(`  ${action.padEnd(width)} ${n(count).padStart(8)}`);
    if (program.type === 'socket_filter') lines.push(`  captured bytes ${n(res.verdicts.reduce((s, v) => s + (v.snap ?? 0), 0))} of ${n(res.verdicts.reduce((s, v) => s + v.len, 0))}`);
    if (summary.modified) lines.push(`  ${n(summary.modified)} packets rewritten by the program`);
    for (const v of res.verdicts.filter((x) => x.action === 'error').slice(0, 5)) lines.push(`  packet ${v.index}: ${v.error}`);
    lines.push('maps:', ...mapLines(res.maps));
    if (outPath !== undefined) lines.push(`wrote ${n(res.verdicts.length)} packets with their actions to ${outPath}`);
    io.out(lines.join('\n') + '\n');
  }
  return errors ? 1 : 0;
}

function outputLine(o: EventOutput): string {
  const body = o.data !== undefined ? JSON.stringify(o.data) : o.hex;
  return `${o.program} ${o.map}${o.index !== undefined ? `[${o.index}]` : ''}: ${body}`;
}

export async function runOverTrace(path: string, programs: readonly Program[], args: ParsedArgs, io: Io): Promise<number> {
  const tracePath = args.strings.get('trace')!;
  const engine = args.strings.get('engine') ?? 'vm';
  if (engine !== 'vm' && engine !== 'jit') throw new UsageError('run: --trace runs on the vm or the jit (the kernel cannot replay recorded events)');
  const json = args.flags.has('json'), jsonl = args.flags.has('jsonl');
  if (json && jsonl) throw new UsageError('run: --json and --jsonl exclude each other');
  const events = readTrace(io.readFile(tracePath), tracePath);
  const eventType = args.strings.get('event-type');
  const seed = args.strings.get('seed');
  const attach = args.strings.get('attach');
  if (args.strings.has('cpu')) throw new UsageError("run: --trace runs each event on its own cpu: drop --cpu");
  const { cpus } = cpuOptions(args, engine);
  if (cpus !== undefined) {
    const outside = events.find((ev) => ev.cpu >= cpus);
    if (outside) throw new UsageError(`run: ${tracePath}: line ${outside.line}: the event ran on cpu ${outside.cpu}; --cpus ${cpus} models cpus 0..${cpus - 1}`);
  }
  const res = await runTrace(programs, events, path, {
    engine, ...(cpus !== undefined && { cpus }), ...(attach !== undefined && { attach }), ...(eventType !== undefined && { eventType }), ...(seed !== undefined && { seed: Number(seed) }),
    ...(!json && { onOutput: (o: EventOutput) => io.out(jsonl ? JSON.stringify(o) + '\n' : outputLine(o) + '\n') }),
    ...(!json && !jsonl && { onError: (e: { line: number; program: string; error: string }) => io.err(`bpflab: run: ${tracePath}: line ${e.line}: ${e.program}: ${e.error}\n`) }),
  });
  const summary = { file: path, trace: tracePath, engine, events: res.events, runs: res.runs, records: res.outputs.length, unmatched: res.unmatched, errors: res.errors, maps: res.maps };
  if (json) io.out(JSON.stringify({ ...summary, outputs: res.outputs }) + '\n');
  else if (jsonl) io.out(JSON.stringify({ summary }) + '\n');
  else {
    const um = Object.entries(res.unmatched);
    io.err(`${n(res.events)} events, ${n(res.runs)} program runs, ${n(res.outputs.length)} records` +
      (um.length ? `; no program at ${um.map(([h, c]) => `${h} (${c})`).join(', ')}` : '') + (res.errors.length ? `; ${res.errors.length} runs stopped with an error` : '') + '\n');
    const ml = mapLines(Object.fromEntries(Object.entries(res.maps).filter(([, e]) => Object.keys(e).length)));
    if (ml.length) io.err(['maps:', ...ml].join('\n') + '\n');
  }
  return res.errors.length ? 1 : 0;
}

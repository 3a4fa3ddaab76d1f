/**
 * Replay rows: a packet program over a 10,000-packet capture on the VM, the JIT (checked) and
 * the running kernel (BPF_PROG_TEST_RUN per packet on one set of kernel maps, as `run --pcap
 * --engine kernel` does), in µs of CPU time per packet, each beside the kernel engine measured in
 * the same run; the kernel row is anchored on the kernel's own run time (test run duration).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { syntheticTraffic } from '../inputs/craft.js';
import { readCapture, writePcap, type Capture } from '../inputs/pcap.js';
import { loadFile } from '../loader/index.js';
import { runPcap, type PcapRunResult } from '../replay/pcap-run.js';
import type { EngineName } from '../replay/packet-engine.js';
import type { Program } from '../isa/program.js';
import { median } from './loops.js';
import type { BenchOptions, BenchRow, BenchSuite } from './types.js';

/** The rewriter test program (committed object; the bench runs from dist/ or src/). */
async function rewriter(): Promise<Program> {
  const path = fileURLToPath(new URL('../../test/fixtures/elf/xdp_rewrite.o', import.meta.url));
  return (await loadFile(path, new Uint8Array(readFileSync(path)), {}))[0]!;
}

async function cpuPerPacket(program: Program, capture: Capture, engine: EngineName, rounds: number): Promise<{ us: number; last: PcapRunResult }> {
  const samples: number[] = [];
  let last: PcapRunResult | undefined;
  for (let i = 0; i < rounds; i++) {
    const c0 = process.cpuUsage();
    last = await runPcap(program, capture, 'bench.pcap', { engine, keepOutput: false });
    const c = process.cpuUsage(c0);
    samples.push((c.user + c.system) / capture.packets.length);
  }
  return { us: median(samples), last: last! };
}

export const suite: BenchSuite = async (opts: BenchOptions): Promise<BenchRow[]> => {
  const program = await rewriter();
  const capture = readCapture(writePcap(syntheticTraffic(opts.quick ? 2_000 : 10_000, 7)), 'bench.pcap');
  const rounds = opts.quick ? 2 : 5;
  const { kernelAvailable } = await import('../kernel/index.js');
  const k = kernelAvailable();
  let kernelUs: number | undefined, kernelOwnUs: number | undefined;
  if (k.ok) {
    // wall time here: most of a kernel run's time is spent in the syscall, which CPU time of this process counts too
    const walls: number[] = [];
    let own = 0;
    for (let i = 0; i < rounds; i++) {
      const r = await runPcap(program, capture, 'bench.pcap', { engine: 'kernel', keepOutput: false });
      walls.push((r.seconds * 1e6) / capture.packets.length);
      own = (r.kernelNsPerPacket ?? 0) / 1000;
    }
    kernelUs = median(walls);
    kernelOwnUs = own;
    opts.progress(`kernel engine: ${kernelUs.toFixed(2)} µs/packet (the kernel's own run time ${kernelOwnUs.toFixed(3)} µs)`);
  }
  const rows: BenchRow[] = [];
  const anchor = (row: BenchRow): BenchRow => (kernelUs !== undefined ? { ...row, anchor: 'kernel engine (test run per packet)', anchorValue: kernelUs, ratio: row.value / kernelUs } : { ...row, note: `no kernel anchor: ${k.ok ? '' : k.reason}` });
  for (const engine of ['vm', 'jit'] as const) {
    await runPcap(program, capture, 'bench.pcap', { engine, keepOutput: false }); // warm up
    const { us } = await cpuPerPacket(program, capture, engine, rounds);
    opts.progress(`${engine}: ${us.toFixed(2)} µs/packet`);
    rows.push(anchor({ group: 'replay', name: `pcap, xdp rewriter, ${engine} (${capture.packets.length} packets)`, value: us, unit: 'µs/packet' }));
  }
  if (kernelUs !== undefined && kernelOwnUs !== undefined)
    rows.push({ group: 'replay', name: `pcap, xdp rewriter, kernel engine (${capture.packets.length} packets)`, value: kernelUs, unit: 'µs/packet', anchor: "kernel's own run time", anchorValue: kernelOwnUs, ratio: kernelUs / kernelOwnUs, note: 'wall time incl. the syscall per packet' });
  return rows;
};

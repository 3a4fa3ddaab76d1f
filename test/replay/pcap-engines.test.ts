/**
 * Programs over a capture of 10,000 generated packets (IPv4/IPv6, TCP/UDP/ICMP, VLAN tags,
 * fragments, snap-length-truncated and runt frames): the VM, the JIT and the running kernel
 * (BPF_PROG_TEST_RUN per packet, one set of kernel maps) must agree on every packet's action,
 * every rewritten byte and the final maps.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { syntheticTraffic } from '../../src/inputs/craft.js';
import { readCapture, writePcap } from '../../src/inputs/pcap.js';
import { kernelAvailable } from '../../src/kernel/index.js';
import { loadFile } from '../../src/loader/index.js';
import { runPcap, type PcapRunResult } from '../../src/replay/pcap-run.js';
import type { Program } from '../../src/isa/program.js';

const kernel = kernelAvailable();
if (!kernel.ok) console.log(`skip: the kernel engine is not compared (${kernel.reason})`);

async function load(path: string, section?: string): Promise<Program> {
  const ps = await loadFile(path, new Uint8Array(readFileSync(path)), section ? { section } : {});
  return ps[0]!;
}

const capture = readCapture(writePcap(syntheticTraffic(10_000, 7)), 'mixed.pcap');
const hex = (b?: Uint8Array) => (b ? Buffer.from(b).toString('hex') : '');
const perPacket = (r: PcapRunResult) => r.verdicts.map((v) => `${v.index} ${v.action} ${v.r0} ${hex(v.out)}`);

describe('a packet rewriter over 10,000 mixed packets', async () => {
  const program = await load('test/fixtures/elf/xdp_rewrite.o');
  const vm = await runPcap(program, capture, 'mixed.pcap', { engine: 'vm' });

  test('the capture exercises every action and rewrites packets', () => {
    expect(vm.verdicts).toHaveLength(10_000);
    for (const a of ['XDP_PASS', 'XDP_DROP', 'XDP_TX', 'XDP_REDIRECT', 'skipped']) expect(vm.tally[a]).toBeGreaterThan(100);
    expect(vm.verdicts.filter((v) => v.modified).length).toBeGreaterThan(5_000);
    // popped VLAN tags make packets 4 bytes shorter
    expect(vm.verdicts.some((v) => v.out && v.out.length === v.len - 4)).toBe(true);
    expect(vm.tally['error']).toBeUndefined();
    expect(Object.keys(vm.maps['sources']!).length).toBeGreaterThan(500);
  });

  test('the JIT gives the same action, bytes and maps for every packet', async () => {
    const jit = await runPcap(program, capture, 'mixed.pcap', { engine: 'jit' });
    expect(perPacket(jit)).toEqual(perPacket(vm));
    expect(jit.maps).toEqual(vm.maps);
  });

  test.skipIf(!kernel.ok)('the kernel gives the same action, bytes and maps for every packet', async () => {
    const k = await runPcap(program, capture, 'mixed.pcap', { engine: 'kernel' });
    expect(perPacket(k)).toEqual(perPacket(vm));
    expect(k.maps).toEqual(vm.maps);
    expect(k.kernelNsPerPacket).toBeGreaterThan(0);
  });
});

describe('socket filters over a capture count what tcpdump keeps', async () => {
  const program = await load('test/fixtures/cbpf/tcp-port-80.cbpf');
  const vm = await runPcap(program, capture, 'mixed.pcap', { engine: 'vm' });

  test('some packets are kept whole, the others dropped', () => {
    expect(vm.tally['accept']).toBeGreaterThan(500);
    expect(vm.tally['drop']).toBeGreaterThan(5_000);
    for (const v of vm.verdicts) if (v.action === 'accept') expect(v.snap).toBe(v.len);
  });

  test.skipIf(!kernel.ok)('the kernel keeps the same packets', async () => {
    const k = await runPcap(program, capture, 'mixed.pcap', { engine: 'kernel', keepOutput: false });
    expect(k.verdicts.map((v) => `${v.action}${v.snap}`)).toEqual(vm.verdicts.map((v) => `${v.action}${v.snap}`));
  });
});

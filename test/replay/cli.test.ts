/** `bpflab run --pcap`: the README's DDoS example, streaming output, and the rewritten capture. */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { main } from '../../src/cli/main.js';
import { memoryIo } from '../../src/cli/io.js';
import { readCapture } from '../../src/inputs/pcap.js';

const OBJ = 'examples/xdp-ddos/xdp_ddos.o', PCAP = 'examples/xdp-ddos/flood.pcap';
const files = () => ({ [OBJ]: readFileSync(OBJ), [PCAP]: readFileSync(PCAP) });

describe('the XDP DDoS example over its flood capture', () => {
  test('drops half: the two flooding sources beyond their budget, nobody else', async () => {
    const io = memoryIo(files());
    expect(await main(['run', OBJ, '--pcap', PCAP, '--json'], io)).toBe(0);
    const r = JSON.parse(io.stdout);
    expect(r.packets).toBe(2400);
    expect(r.tally).toEqual({ XDP_PASS: 1200, XDP_DROP: 1200 });
    // budgets per source: 100 legitimate sources and the two flooders, each flooder with 600 drops
    const budgets = Object.entries(r.maps.budgets as Record<string, string>);
    expect(budgets).toHaveLength(102);
    const dropped = budgets.map(([, v]) => Buffer.from(v, 'hex').readUInt32LE(12)).filter((d) => d > 0);
    expect(dropped).toEqual([600, 600]);
    const drops = (r.results as { action: string; index: number }[]).filter((v) => v.action === 'XDP_DROP');
    expect(drops).toHaveLength(1200);
  });

  test('--jsonl streams one line per packet, then the summary', async () => {
    const io = memoryIo(files());
    expect(await main(['run', OBJ, '--pcap', PCAP, '--jsonl'], io)).toBe(0);
    const lines = io.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2401);
    expect(lines[0]).toMatchObject({ index: 1, action: 'XDP_PASS', modified: false });
    expect(lines.at(-1).summary.tally).toEqual({ XDP_PASS: 1200, XDP_DROP: 1200 });
  });

  test('--out writes every packet with its action as a pcapng comment', async () => {
    const io = memoryIo(files());
    expect(await main(['run', OBJ, '--pcap', PCAP, '--out', 'out.pcapng'], io)).toBe(0);
    expect(io.stdout).toMatch(/2,400 packets through xdp_ddos \(xdp\) on the vm: [\d,]+ packets\/s\n\s+XDP_PASS\s+1,200\n\s+XDP_DROP\s+1,200/);
    const out = readCapture(io.files.get('out.pcapng')!, 'out.pcapng');
    const input = readCapture(io.files.get(PCAP)!, PCAP);
    expect(out.packets.map((p) => p.comment).filter((c) => c === 'XDP_DROP')).toHaveLength(1200);
    expect(out.packets.map((p) => Buffer.from(p.data).toString('hex'))).toEqual(input.packets.map((p) => Buffer.from(p.data).toString('hex')));
  });

  test('options that do not go together are refused with one line', async () => {
    for (const argv of [['--out', 'x.pcap'], ['--pcap', PCAP, '--packet', '00'], ['--pcap', PCAP, '--trace', 't.jsonl'], ['--pcap', PCAP, '--json', '--jsonl']]) {
      const io = memoryIo(files());
      expect(await main(['run', OBJ, ...argv], io)).toBe(2);
      expect(io.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  test('a program that sees no packets is refused by name', async () => {
    const io = memoryIo({ ...files(), 'k.s': '.type kprobe\nr0 = 0\nexit\n' });
    expect(await main(['run', 'k.s', '--pcap', PCAP], io)).toBe(2);
    expect(io.stderr).toMatch(/a kprobe program does not see packets/);
  });
});

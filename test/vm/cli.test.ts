import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';
import { memoryIo } from '../../src/cli/io.js';
import { hex, udpPacket } from '../runtime/util.js';

const XDP = `.type xdp
.map hits array key=4 value=8 entries=1
; drop UDP to port 53, pass the rest; count drops
    r6 = r1
    r2 = *(u32 *)(r6 +4)
    r1 = *(u32 *)(r6 +0)
    r3 = r1
    r3 += 42
    if r3 > r2 goto pass
    r4 = *(u16 *)(r1 +36)
    if r4 != 0x3500 goto pass
    r1 = map_value[hits] + 0
    r2 = 1
    lock *(u64 *)(r1 +0) += r2
    r0 = 1
    exit
pass:
    r0 = 2
    exit
`;

async function cli(args: string[], files: Record<string, string | Uint8Array> = {}) {
  const io = memoryIo(files);
  const code = await main(args, io);
  return { code, out: io.stdout, err: io.stderr };
}

const LOOKUP = `.type sched_cls
; r0 = the local port of the TCP socket a packet 10.0.0.9:5555 -> 127.0.0.1:8080 reaches, 0 for none
    *(u32 *)(r10 -16) = 0x0900000a
    *(u32 *)(r10 -12) = 0x0100007f
    *(u32 *)(r10 -8) = 0x901fb315
    r2 = r10
    r2 += -16
    r3 = 12
    r4 = -1
    r5 = 0
    call bpf_sk_lookup_tcp
    if r0 == 0 goto out
    r6 = *(u32 *)(r0 +44)
    r1 = r0
    call bpf_sk_release
    r0 = r6
out:
    exit
`;

describe('bpflab run', () => {
  it('--socket fills the socket table bpf_sk_lookup_* searches; a bad spec is a usage error', async () => {
    const pkt = hex(new Uint8Array(64));
    const files = { 'l.s': LOOKUP };
    expect((await cli(['run', 'l.s', '--packet', pkt], files)).out).toBe('0\n');
    expect((await cli(['run', 'l.s', '--packet', pkt, '--socket', 'tcp,listen,0.0.0.0:8080'], files)).out).toBe('8080\n');
    expect((await cli(['run', 'l.s', '--packet', pkt, '--socket', 'tcp,127.0.0.2:8080', '--socket', 'udp,127.0.0.1:8080'], files)).out).toBe('0\n');
    const bad = await cli(['run', 'l.s', '--socket', 'sctp,1.2.3.4:5'], files);
    expect([bad.code, bad.err]).toEqual([2, "bpflab: run: --socket 'sctp,1.2.3.4:5': protocol must be tcp or udp\n"]);
  });
  it('runs an XDP program from assembly on a hex packet and prints r0 and the action', async () => {
    const r = await cli(['run', 'drop.s', '--packet', hex(udpPacket(53))], { 'drop.s': XDP });
    expect([r.code, r.out, r.err]).toEqual([0, '1\n', 'XDP_DROP\n']);
    const p = await cli(['run', 'drop.s', '--packet', hex(udpPacket(80))], { 'drop.s': XDP });
    expect([p.out, p.err]).toEqual(['2\n', 'XDP_PASS\n']);
  });
  it('--json reports r0, the action, maps after the run and ns per run', async () => {
    const r = await cli(['run', 'drop.s', '--packet', hex(udpPacket(53)), '--map', 'hits:00000000=0500000000000000', '--repeat', '3', '--json'], { 'drop.s': XDP });
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ r0: '1', action: 'XDP_DROP', engine: 'vm', repeat: 3, maps: { hits: { '00000000': '0800000000000000' } } });
    expect(j.nsPerRun).toBeGreaterThan(0);
  });
  it('--repeat N on the vm and the jit: one setup, N runs from the initial registers, state carried over', async () => {
    for (const engine of ['vm', 'jit']) {
      const r = await cli(['run', 'drop.s', '--packet', hex(udpPacket(53)), '--engine', engine, '--repeat', '1000', '--json'], { 'drop.s': XDP });
      expect(r.code).toBe(0);
      const j = JSON.parse(r.out);
      expect(j).toMatchObject({ r0: '1', engine, repeat: 1000, steps: 13, maps: { hits: { '00000000': 'e803000000000000' } } });
      expect(j.nsPerRun).toBeGreaterThan(0);
    }
  });
  it('--engine jit (checked and --trusted) gives the VM\'s answer', async () => {
    for (const extra of [[], ['--trusted']]) {
      const r = await cli(['run', 'drop.s', '--packet', hex(udpPacket(53)), '--engine', 'jit', ...extra], { 'drop.s': XDP });
      expect([r.code, r.out, r.err]).toEqual([0, '1\n', 'XDP_DROP\n']);
    }
  });
  it('bad input is one line and exit 2; a fault is exit 1', async () => {
    const bad = await cli(['run', 'drop.s', '--packet', 'xyz'], { 'drop.s': XDP });
    expect(bad.code).toBe(2);
    expect(bad.err.trim().split('\n')).toHaveLength(1);
    expect(bad.err).toMatch(/--packet: not hex/);
    const m = await cli(['run', 'drop.s', '--map', 'nope:00=00'], { 'drop.s': XDP });
    expect([m.code, m.err]).toEqual([2, expect.stringMatching(/no map 'nope'/)]);
    const f = await cli(['run', 'f.s', '--no-verify', '--mem', '0102'], { 'f.s': 'r0 = *(u32 *)(r1 +0)\nexit' });
    expect(f.code).toBe(1);
    expect(f.err).toMatch(/out of bounds: 4-byte access at mem\+0 at pc 0/);
  });
});

describe('bpflab conformance', () => {
  it('runs .data files and closes with N passed, N failed', async () => {
    const shared = fileURLToPath(new URL('../../../shared/conformance/', import.meta.url));
    const files = { [`${shared}add.data`]: readFileSync(`${shared}add.data`) };
    const r = await cli(['conformance', `${shared}add.data`], files);
    expect([r.code, r.out]).toEqual([0, '1 passed, 0 failed\n']);
    const wrong = '-- asm\nmov %r0, 1\nexit\n-- result\n0x2\n';
    const w = await cli(['conformance', '/tmp/bpflab-h3-wrong.data'], { '/tmp/bpflab-h3-wrong.data': wrong });
    expect(w.code).toBe(1);
    expect(w.out).toBe('FAIL /tmp/bpflab-h3-wrong.data: r0=0x1, expected 0x2\n0 passed, 1 failed\n');
    const missing = await cli(['conformance', '/nonexistent/x.data']);
    expect([missing.code, missing.err]).toEqual([2, expect.stringMatching(/x\.data: cannot read file/)]);
  });
});

/**
 * Socket lookups (bpf_sk_lookup_tcp / _udp, bpf_skc_lookup_tcp) and references (bpf_sk_release,
 * bpf_sk_fullsock): the kernel's argument rules and matching on the VM's socket table, the memory
 * model's checks (no read after release, no leaked reference), and the same lookups compared with
 * BPF_PROG_TEST_RUN against real sockets of this host (the test run's netns is the caller's).
 */
import { createServer, connect, type Server, type Socket as NetSocket } from 'node:net';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kernelAvailable, runInKernel } from '../../src/kernel/index.js';
import type { SocketSpec } from '../../src/runtime/sockets.js';
import { Jit } from '../../src/jit/index.js';
import { Vm } from '../../src/vm/index.js';
import { prog } from './util.js';

const k = kernelAvailable();
if (!k.ok) console.log(`skip kernel comparisons of the socket lookup helpers: ${k.reason}`);

type Helper = 'bpf_sk_lookup_tcp' | 'bpf_sk_lookup_udp' | 'bpf_skc_lookup_tcp';
interface Lookup { helper: Helper; v6: boolean; saddr: number[]; sport: number; daddr: number[]; dport: number; len?: number; netns?: bigint; flags?: bigint }

/** Stores the tuple at fp-48, calls the helper, writes found/family/src_ip4/src_port/dst_port/state (+ type/protocol for full sockets) to `out`, releases. */
function lookupProgram(l: Lookup, type: 'sched_cls' | 'xdp' = 'sched_cls') {
  const tuple = new Uint8Array(36);
  const n = l.v6 ? 16 : 4;
  tuple.set(l.saddr, 0); tuple.set(l.daddr, n);
  tuple[2 * n] = l.sport >> 8; tuple[2 * n + 1] = l.sport & 0xff; tuple[2 * n + 2] = l.dport >> 8; tuple[2 * n + 3] = l.dport & 0xff;
  const stores = Array.from({ length: 9 }, (_, i) => `*(u32 *)(r10 -${48 - 4 * i}) = ${new DataView(tuple.buffer).getInt32(4 * i, true)}`).join('\n');
  const full = l.helper !== 'bpf_skc_lookup_tcp';
  return prog(`.map out array key=4 value=40 entries=1
r6 = r1
${stores}
r1 = r6
r2 = r10
r2 += -48
r3 = ${l.len ?? (l.v6 ? 36 : 12)}
r4 = ${l.netns ?? 0xffffffffn} ll
r5 = ${l.flags ?? 0n} ll
call ${l.helper}
r7 = r0
r8 = map_value[out] + 0
if r7 == 0 goto out
*(u32 *)(r8 +0) = 1
r1 = *(u32 *)(r7 +4)
*(u32 *)(r8 +4) = r1
r1 = *(u32 *)(r7 +24)
*(u32 *)(r8 +8) = r1
r1 = *(u32 *)(r7 +44)
*(u32 *)(r8 +12) = r1
r1 = *(u32 *)(r7 +48)
*(u32 *)(r8 +16) = r1
r1 = *(u32 *)(r7 +72)
*(u32 *)(r8 +20) = r1
r1 = *(u32 *)(r7 +52)
*(u32 *)(r8 +24) = r1
${full ? 'r1 = *(u32 *)(r7 +8)\n*(u32 *)(r8 +28) = r1\nr1 = *(u32 *)(r7 +12)\n*(u32 *)(r8 +32) = r1' : ''}
r1 = r7
call bpf_sk_release
out:
r0 = 0
exit`, type);
}

const KEY = new Uint8Array(4);
const fields = (b: Uint8Array): number[] => Array.from({ length: 10 }, (_, i) => new DataView(b.buffer, b.byteOffset).getUint32(4 * i, true));

function vmLookup(l: Lookup, sockets: SocketSpec[], type: 'sched_cls' | 'xdp' = 'sched_cls'): number[] {
  const vm = new Vm(lookupProgram(l, type));
  const r = vm.run({ packet: new Uint8Array(64), sockets });
  expect(r.fault ?? r.error).toBeUndefined();
  return fields(vm.maps[0]!.lookup(KEY)!);
}

const LO = [127, 0, 0, 1];
const LO6 = [...new Array(15).fill(0), 1];
const lo = Uint8Array.from(LO);

describe('socket lookups on the VM socket table', () => {
  const table: SocketSpec[] = [
    { family: 'ipv4', protocol: 'tcp', state: 'listen', localAddr: lo, localPort: 8080 },
    { family: 'ipv4', protocol: 'tcp', state: 'established', localAddr: lo, localPort: 8080, remoteAddr: lo, remotePort: 40000 },
    { family: 'ipv4', protocol: 'tcp', state: 'time_wait', localAddr: lo, localPort: 8080, remoteAddr: lo, remotePort: 40001 },
    { family: 'ipv4', protocol: 'udp', localAddr: new Uint8Array(4), localPort: 53 },
    { family: 'ipv6', protocol: 'tcp', localPort: 9090 },
  ];
  const l4 = (helper: Helper, sport: number, dport: number, more: Partial<Lookup> = {}): Lookup => ({ helper, v6: false, saddr: LO, sport, daddr: LO, dport, ...more });
  it('finds listeners, established and time-wait sockets as the kernel matches them', () => {
    expect(vmLookup(l4('bpf_sk_lookup_tcp', 1234, 8080), table).slice(0, 6)).toEqual([1, 2, 0x0100007f, 8080, 0, 10]);
    expect(vmLookup(l4('bpf_sk_lookup_tcp', 40000, 8080), table).slice(0, 6)).toEqual([1, 2, 0x0100007f, 8080, 0x409c, 1]);
    // a time-wait socket is no full socket: sk_lookup gives NULL, skc_lookup the socket
    expect(vmLookup(l4('bpf_sk_lookup_tcp', 40001, 8080), table)[0]).toBe(0);
    expect(vmLookup(l4('bpf_skc_lookup_tcp', 40001, 8080), table).slice(0, 6)).toEqual([1, 2, 0x0100007f, 8080, 0x419c, 6]);
    expect(vmLookup(l4('bpf_sk_lookup_udp', 1, 53, { daddr: [10, 1, 2, 3] }), table).slice(0, 6)).toEqual([1, 2, 0, 53, 0, 7]);
    // the dual-stack IPv6 wildcard listener serves IPv4 and IPv6
    expect(vmLookup(l4('bpf_sk_lookup_tcp', 1, 9090), table)[1]).toBe(10);
    expect(vmLookup({ helper: 'bpf_sk_lookup_tcp', v6: true, saddr: LO6, sport: 1, daddr: LO6, dport: 9090 }, table)[1]).toBe(10);
  });
  it('gives NULL for other tuple sizes, non-zero flags, an unknown netns id and unmatched tuples', () => {
    expect(vmLookup(l4('bpf_sk_lookup_tcp', 1234, 8080, { len: 13 }), table)[0]).toBe(0);
    expect(vmLookup(l4('bpf_sk_lookup_tcp', 1234, 8080, { flags: 1n }), table)[0]).toBe(0);
    expect(vmLookup(l4('bpf_sk_lookup_tcp', 1234, 8080, { netns: 0x100000000n }), table)[0]).toBe(0);
    expect(vmLookup(l4('bpf_sk_lookup_tcp', 1234, 8080, { netns: 5n }), table)[0]).toBe(0);
    expect(vmLookup(l4('bpf_sk_lookup_tcp', 1234, 8080, { netns: 5n }), table.map((s) => ({ ...s, netnsId: 5 })))[0]).toBe(1);
    expect(vmLookup(l4('bpf_sk_lookup_tcp', 1234, 8081), table)[0]).toBe(0);
    expect(vmLookup(l4('bpf_sk_lookup_udp', 1234, 8080), table)[0]).toBe(0);
  });
  it('faults on a read through a released socket and reports leaked references', () => {
    const sockets: SocketSpec[] = [{ family: 'ipv4', protocol: 'tcp', localPort: 0 }];
    const lookup = `r2 = r10\nr2 += -12\n*(u64 *)(r10 -16) = 0\n*(u64 *)(r10 -8) = 0\nr3 = 12\nr4 = -1\nr5 = 0\ncall bpf_sk_lookup_tcp\nif r0 == 0 goto out\nr6 = r0\n`;
    const uafProg = prog(`${lookup}r7 = *(u32 *)(r6 +4)\nr1 = r6\ncall bpf_sk_release\nr0 = *(u32 *)(r6 +4)\nout:\nexit`, 'sched_cls');
    const uaf = new Vm(uafProg).run({ packet: new Uint8Array(64), sockets });
    expect(uaf.fault?.message).toMatch(/sock\+4 \(socket released by bpf_sk_release\) at pc 13/);
    const jit = new Jit(uafProg, { mode: 'checked' }).run({ packet: new Uint8Array(64), sockets });
    expect(jit.fault?.message).toBe(uaf.fault?.message);
    const leak = new Vm(prog(`${lookup}r0 = 0\nout:\nexit`, 'sched_cls')).run({ packet: new Uint8Array(64), sockets });
    expect(leak.error?.kind).toBe('reference_leak');
  });
});

describe.skipIf(!k.ok)('socket lookups: VM vs kernel on this host\'s sockets', () => {
  let server: Server;
  let client: NetSocket;
  let accepted: NetSocket;
  let udp: UdpSocket;
  let server6: Server | null = null;
  const sockets: SocketSpec[] = [];
  beforeAll(async () => {
    server = createServer((s) => { accepted = s; });
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    const port = (server.address() as { port: number }).port;
    client = connect(port, '127.0.0.1');
    await new Promise<void>((res) => client.on('connect', res));
    while (!accepted) await new Promise((r) => setTimeout(r, 5));
    udp = createSocket('udp4');
    await new Promise<void>((res) => udp.bind(0, '127.0.0.1', res));
    const cport = client.localPort!;
    sockets.push(
      { family: 'ipv4', protocol: 'tcp', state: 'listen', localAddr: lo, localPort: port },
      { family: 'ipv4', protocol: 'tcp', state: 'established', localAddr: lo, localPort: port, remoteAddr: lo, remotePort: cport },
      { family: 'ipv4', protocol: 'tcp', state: 'established', localAddr: lo, localPort: cport, remoteAddr: lo, remotePort: port },
      { family: 'ipv4', protocol: 'udp', localAddr: lo, localPort: udp.address().port },
    );
    try {
      const s6 = createServer();
      await new Promise<void>((res, rej) => { s6.once('error', rej); s6.listen(0, '::', res); });
      server6 = s6;
      sockets.push({ family: 'ipv6', protocol: 'tcp', localPort: (s6.address() as { port: number }).port });
    } catch { console.log('skip the IPv6 lookups: no IPv6 on this host'); }
  });
  afterAll(() => { client?.destroy(); accepted?.destroy(); server?.close(); udp?.close(); server6?.close(); });

  const compare = (l: Lookup, type: 'sched_cls' | 'xdp' = 'sched_cls'): number[] => {
    const kr = runInKernel(lookupProgram(l, type), { data: new Uint8Array(64) });
    expect(kr.load.verdict, kr.load.log).toBe('accept');
    const kernel = fields(kr.maps.find((m) => m.name === 'out')!.entries[0]![1]);
    expect(vmLookup(l, sockets, type), JSON.stringify(l, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))).toEqual(kernel);
    return kernel;
  };
  const tcpPort = (): number => sockets[0]!.localPort;
  it('listener, established sockets, UDP socket, misses', () => {
    const p = tcpPort();
    const c = sockets[1]!.remotePort!;
    const u = sockets[3]!.localPort;
    for (const helper of ['bpf_sk_lookup_tcp', 'bpf_skc_lookup_tcp'] as const) {
      expect(compare({ helper, v6: false, saddr: [10, 0, 0, 9], sport: 5555, daddr: LO, dport: p }).slice(0, 6)).toEqual([1, 2, 0x0100007f, p, 0, 10]); // listener
      expect(compare({ helper, v6: false, saddr: LO, sport: c, daddr: LO, dport: p })[5]).toBe(1); // server side of the connection
      compare({ helper, v6: false, saddr: LO, sport: p, daddr: LO, dport: c }); // client side
      compare({ helper, v6: false, saddr: LO, sport: 1, daddr: [127, 0, 0, 2], dport: p }); // other address: no listener
    }
    compare({ helper: 'bpf_sk_lookup_udp', v6: false, saddr: LO, sport: 7, daddr: LO, dport: u });
    compare({ helper: 'bpf_sk_lookup_udp', v6: false, saddr: LO, sport: 7, daddr: LO, dport: p });
    compare({ helper: 'bpf_sk_lookup_tcp', v6: false, saddr: LO, sport: 7, daddr: LO, dport: u });
    // the selftests' all-zero IPv6 tuple
    compare({ helper: 'bpf_sk_lookup_tcp', v6: true, saddr: new Array(16).fill(0), sport: 0, daddr: new Array(16).fill(0), dport: 0 });
  });
  it('from XDP (the receive device\'s netns and ifindex)', () => {
    const p = tcpPort();
    expect(compare({ helper: 'bpf_sk_lookup_tcp', v6: false, saddr: LO, sport: 9, daddr: LO, dport: p }, 'xdp')[0]).toBe(1);
    compare({ helper: 'bpf_skc_lookup_tcp', v6: false, saddr: LO, sport: sockets[1]!.remotePort!, daddr: LO, dport: p }, 'xdp');
    compare({ helper: 'bpf_sk_lookup_udp', v6: false, saddr: LO, sport: 7, daddr: LO, dport: sockets[3]!.localPort }, 'xdp');
    compare({ helper: 'bpf_sk_lookup_tcp', v6: false, saddr: LO, sport: 9, daddr: LO, dport: p, flags: 2n }, 'xdp');
  });
  it('argument rules: tuple size, flags, netns id', () => {
    const p = tcpPort();
    const base = { helper: 'bpf_sk_lookup_tcp' as const, v6: false, saddr: LO, sport: 1, daddr: LO, dport: p };
    compare({ ...base, len: 13 });
    compare({ ...base, len: 36 });
    compare({ ...base, flags: 1n });
    compare({ ...base, flags: 1n << 40n });
    compare({ ...base, netns: 0xffffffffffffffffn });
    compare({ ...base, netns: 0x8000000000000000n });
    compare({ ...base, netns: 0x100000000n });
  });
  it('IPv6 and dual-stack listeners', () => {
    if (!server6) return;
    const p6 = sockets[4]!.localPort;
    compare({ helper: 'bpf_sk_lookup_tcp', v6: true, saddr: LO6, sport: 1, daddr: LO6, dport: p6 });
    compare({ helper: 'bpf_sk_lookup_tcp', v6: false, saddr: LO, sport: 1, daddr: LO, dport: p6 });
  });
});

/** skb->sk, through bpf_sk_fullsock and bpf_tcp_sock: every bpf_sock field into `out`. */
const SK_FIELDS = [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60, 64, 68, 72, 76];
const skbSkProgram = (type: 'sched_cls' | 'cgroup_skb') => prog(`.map out array key=4 value=${8 * SK_FIELDS.length + 16} entries=1
r8 = map_value[out] + 0
r1 = *(u64 *)(r1 +168)
if r1 == 0 goto out
*(u64 *)(r8 +0) = 1
r6 = r1
call bpf_tcp_sock
*(u64 *)(r8 +8) = r0
r1 = r6
call bpf_sk_fullsock
if r0 == 0 goto out
*(u64 *)(r8 +0) = 2
${SK_FIELDS.map((o, i) => `r1 = *(u32 *)(r0 +${o})\n*(u64 *)(r8 +${8 * i + 16}) = r1`).join('\n')}
out:
r0 = 1
exit`, type);

const ipv4Frame = (): Uint8Array => { const f = new Uint8Array(64); f[12] = 8; f.set([0x45, 0, 0, 20, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 14); return f; };
const ipv6Frame = (): Uint8Array => { const f = new Uint8Array(80); f[12] = 0x86; f[13] = 0xdd; f[14] = 0x60; f[20] = 6; f[21] = 64; f[37] = 1; f[53] = 2; return f; };

describe('skb->sk in a test run: the dummy socket', () => {
  it('is a full socket in TCP_CLOSE with the packet\'s addresses, no TCP socket', () => {
    const vm = new Vm(skbSkProgram('sched_cls'));
    vm.run({ packet: ipv4Frame() });
    const f = fields(vm.maps[0]!.lookup(KEY)!.subarray(0, 40));
    // fullsock found; bpf_tcp_sock NULL; bound_dev_if 0; family AF_INET; type 0
    expect(f.slice(0, 10)).toEqual([2, 0, 0, 0, 0, 0, 2, 0, 0, 0]);
  });
  for (const type of ['sched_cls', 'cgroup_skb'] as const) {
    it.skipIf(!k.ok)(`${type}: the same fields as the kernel's (IPv4, IPv6, non-IP)`, () => {
      for (const frame of [ipv4Frame(), ipv6Frame(), new Uint8Array(64)]) {
        const p = skbSkProgram(type);
        const kr = runInKernel(p, { data: frame });
        expect(kr.load.verdict, kr.load.log).toBe('accept');
        const vm = new Vm(p);
        const r = vm.run({ packet: frame });
        expect(r.fault ?? r.error).toBeUndefined();
        expect(Array.from(vm.maps[0]!.lookup(KEY)!)).toEqual(Array.from(kr.maps[0]!.entries[0]![1]));
      }
    });
  }
});

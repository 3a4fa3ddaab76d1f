/**
 * bpf_skb_set_tstamp, bpf_tcp_gen_syncookie / bpf_tcp_check_syncookie and
 * bpf_read_branch_records: their prototypes and program types against the running kernel's
 * verifier (with a refused misuse each), and their results on the VM compared with
 * BPF_PROG_TEST_RUN: the stamp and clock an skb keeps, and the SYN-cookie helpers' errnos on the
 * test run's own socket and on a real listener of this host (net.ipv4.tcp_syncookies = 1 and a
 * SYN queue with room: no cookie, -ENOENT).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kernelAvailable, runInKernel } from '../../src/kernel/index.js';
import type { ProgType } from '../../src/isa/program.js';
import type { SocketSpec } from '../../src/runtime/sockets.js';
import { Vm } from '../../src/vm/index.js';
import { expectVerdict, type Expected } from '../verifier/expect-verdicts.js';
import { prog, udpPacket, useTcpListener } from './util.js';

const k = kernelAvailable();
if (!k.ok) console.log(`skip kernel comparisons of skb_set_tstamp / tcp_*_syncookie: ${k.reason}`);

const asm = (text: string, type: ProgType, license = 'GPL') => ({ ...prog(text, type), name: `${type}_prog`, license });

describe('prototypes and program types', () => {
  const cases: [string, string, ProgType, Expected, string?][] = [
    ['set_tstamp from tc', 'r2 = 0\nr3 = 0\ncall bpf_skb_set_tstamp\nr0 = 0\nexit', 'sched_cls', ['accept']],
    ['set_tstamp from xdp', 'r2 = 0\nr3 = 0\ncall bpf_skb_set_tstamp\nr0 = 0\nexit', 'xdp', ['reject', 'program of this type cannot use helper bpf_skb_set_tstamp#192']],
    ['set_tstamp on the stack', 'r1 = r10\nr1 += -8\nr2 = 0\nr3 = 0\ncall bpf_skb_set_tstamp\nr0 = 0\nexit', 'sched_cls', ['reject', 'R1 type=fp expected=ctx']],
    ['read_branch_records from perf_event', '*(u64 *)(r10 -8) = 0\n*(u64 *)(r10 -16) = 0\n*(u64 *)(r10 -24) = 0\nr2 = r10\nr2 += -24\nr3 = 24\nr4 = 0\ncall bpf_read_branch_records\nr0 = 0\nexit', 'perf_event', ['accept']],
    ['read_branch_records size query', 'r2 = 0\nr3 = 0\nr4 = 1\ncall bpf_read_branch_records\nr0 = 0\nexit', 'perf_event', ['accept']],
    ['read_branch_records from kprobe', 'r2 = 0\nr3 = 0\nr4 = 1\ncall bpf_read_branch_records\nr0 = 0\nexit', 'kprobe', ['reject', 'program of this type cannot use helper bpf_read_branch_records#119']],
    // ARG_PTR_TO_MEM_OR_NULL | MEM_WRITE: the helper writes the buffer, which need not be initialised
    ['read_branch_records into uninitialised stack', 'r2 = r10\nr2 += -24\nr3 = 24\nr4 = 0\ncall bpf_read_branch_records\nr0 = 0\nexit', 'perf_event', ['accept']],
    ['gen_syncookie on skb->sk', `r6 = r1\n${zeros(40)}r1 = *(u64 *)(r6 +168)\nif r1 == 0 goto +7\nr2 = r10\nr2 += -40\nr3 = 20\nr4 = r10\nr4 += -20\nr5 = 20\ncall bpf_tcp_gen_syncookie\nr0 = 0\nexit`, 'sched_cls', ['accept']],
    ['gen_syncookie on a scalar', `${zeros(40)}r1 = 0\nr2 = r10\nr2 += -40\nr3 = 20\nr4 = r10\nr4 += -20\nr5 = 20\ncall bpf_tcp_gen_syncookie\nr0 = 0\nexit`, 'xdp', ['reject', 'R1 type=scalar expected=sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_']],
    ['gen_syncookie from cgroup_skb', `r6 = r1\n${zeros(40)}r1 = *(u64 *)(r6 +168)\nif r1 == 0 goto +7\nr2 = r10\nr2 += -40\nr3 = 20\nr4 = r10\nr4 += -20\nr5 = 20\ncall bpf_tcp_gen_syncookie\nr0 = 0\nexit`, 'cgroup_skb', ['reject', 'program of this type cannot use helper bpf_tcp_gen_syncookie#110']],
    ['gen_syncookie from a non-GPL program', `r6 = r1\n${zeros(40)}r1 = *(u64 *)(r6 +168)\nif r1 == 0 goto +7\nr2 = r10\nr2 += -40\nr3 = 20\nr4 = r10\nr4 += -20\nr5 = 20\ncall bpf_tcp_gen_syncookie\nr0 = 0\nexit`, 'sched_cls', ['reject', 'cannot call GPL-restricted function from non-GPL compatible program'], 'Dual BSD'],
  ];
  for (const [name, text, type, expected, license] of cases) it(name, () => expectVerdict({ ...asm(text, type, license ?? 'GPL'), name: name.replace(/\W+/g, '_') }, expected));
});

function zeros(n: number): string {
  let s = '';
  for (let o = 8; o <= n; o += 8) s += `*(u64 *)(r10 -${o}) = 0\n`;
  return s;
}

/** out = [r0 of set_tstamp, skb->tstamp, skb->tstamp_type] after bpf_skb_set_tstamp(skb, ts, type). */
const tstampProgram = (ts: bigint, type: number) => prog(`.map out array key=4 value=24 entries=1
r6 = r1
r2 = ${ts} ll
r3 = ${type}
call bpf_skb_set_tstamp
r7 = map_value[out] + 0
*(u64 *)(r7 +0) = r0
r1 = *(u64 *)(r6 +152)
*(u64 *)(r7 +8) = r1
r1 = *(u8 *)(r6 +180)
*(u64 *)(r7 +16) = r1
r0 = 0
exit`, 'sched_cls');

const words = (b: Uint8Array, n: number): bigint[] => Array.from({ length: n }, (_, i) => BigInt.asIntN(64, new DataView(b.buffer, b.byteOffset).getBigUint64(8 * i, true)));

function vmOut(p: ReturnType<typeof prog>, data: Uint8Array, n: number, sockets?: SocketSpec[]): bigint[] {
  const vm = new Vm(p);
  const r = vm.run(sockets ? { packet: data, sockets } : { packet: data });
  expect(r.fault ?? r.error).toBeUndefined();
  return words(vm.maps.find((m) => m.spec.name === 'out')!.lookup(new Uint8Array(4))!, n);
}

function kernelOut(p: ReturnType<typeof prog>, data: Uint8Array, n: number): bigint[] {
  const kr = runInKernel(p, { data });
  expect(kr.load.verdict, kr.load.log).toBe('accept');
  return words(kr.maps.find((m) => m.name === 'out')!.entries[0]![1], n);
}

const vlanFrame = (): Uint8Array => { const u = udpPacket(); const b = new Uint8Array(u.length + 4); b.set(u.subarray(0, 12)); b.set([0x81, 0, 0, 5], 12); b.set(u.subarray(12), 16); return b; };

const TSTAMP_CASES: [string, bigint, number, Uint8Array?][] = [
  ['realtime stamp', 1234567n, 0],
  ['realtime zero', 0n, 0],
  ['monotonic stamp', 99n, 1],
  ['monotonic zero', 0n, 1],
  ['TAI stamp', 7n, 2],
  ['unknown clock', 7n, 3],
  ['non-IP frame', 7n, 1, vlanFrame()],
];

describe('bpf_skb_set_tstamp on the VM', () => {
  it('keeps the stamp and its clock, refuses a zero mono/TAI stamp, other clocks and non-IP frames', () => {
    expect(vmOut(tstampProgram(99n, 1), udpPacket(), 3)).toEqual([0n, 99n, 1n]);
    expect(vmOut(tstampProgram(0n, 2), udpPacket(), 3)).toEqual([-22n, 0n, 0n]);
    expect(vmOut(tstampProgram(5n, 9), udpPacket(), 3)).toEqual([-22n, 0n, 0n]);
    expect(vmOut(tstampProgram(5n, 0), vlanFrame(), 3)).toEqual([-95n, 0n, 0n]);
  });
});

describe.skipIf(!k.ok)('bpf_skb_set_tstamp: VM vs kernel', () => {
  for (const [name, ts, type, frame] of TSTAMP_CASES)
    it(name, () => { const data = frame ?? udpPacket(); const p = tstampProgram(ts, type); expect(vmOut(p, data, 3)).toEqual(kernelOut(p, data, 3)); });
});

/** The IPv4 and TCP headers the syncookie helpers get (on the stack at fp-64 and fp-24). */
function headers(o: { version?: number; flags: number; doff?: number }): { ip: Uint8Array; tcp: Uint8Array } {
  const ip = new Uint8Array(40);
  ip.set([((o.version ?? 4) << 4) | 5, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1]);
  const tcp = new Uint8Array(24);
  tcp.set([0x30, 0x39, 0x1f, 0x90, 0, 0, 0, 1, 0, 0, 0, 0, (o.doff ?? 5) << 4, o.flags, 0xff, 0xff]);
  return { ip, tcp };
}

const stores = (b: Uint8Array, at: number): string =>
  Array.from({ length: b.length / 8 }, (_, i) => `r1 = ${new DataView(b.buffer).getBigInt64(8 * i, true)} ll\n*(u64 *)(r10 -${at - 8 * i}) = r1`).join('\n');

/** Which socket: skb->sk (the test run's own), or a TCP lookup of 127.0.0.1:port. */
type Sk = { kind: 'skb' } | { kind: 'lookup'; port: number };

/** out = [gen_syncookie(sk, iph, ipLen, th, thLen), check_syncookie(same)]. */
function syncookieProgram(sk: Sk, h: { ip: Uint8Array; tcp: Uint8Array }, ipLen: number, thLen: number, type: ProgType = 'sched_cls') {
  const tuple = sk.kind === 'lookup'
    ? `r1 = 0x0100007f0100007f ll\n*(u64 *)(r10 -104) = r1\nr1 = ${((sk.port & 0xff) << 24) | ((sk.port >> 8) << 16) | 0x3930}\n*(u32 *)(r10 -96) = r1\n`
      + 'r1 = r6\nr2 = r10\nr2 += -104\nr3 = 12\nr4 = -1\nr5 = 0\ncall bpf_skc_lookup_tcp\nr8 = r0\n'
    : 'r8 = *(u64 *)(r6 +168)\n';
  const call = (helper: string, slot: number) =>
    `r1 = r8\nr2 = r10\nr2 += -64\nr3 = ${ipLen}\nr4 = r10\nr4 += -24\nr5 = ${thLen}\ncall ${helper}\n*(u64 *)(r7 +${slot}) = r0`;
  return prog(`.map out array key=4 value=16 entries=1
r6 = r1
${stores(h.ip, 64)}
${stores(h.tcp, 24)}
${tuple}if r8 == 0 goto out
r7 = map_value[out] + 0
${call('bpf_tcp_gen_syncookie', 0)}
${call('bpf_tcp_check_syncookie', 8)}
${sk.kind === 'lookup' ? 'r1 = r8\ncall bpf_sk_release' : ''}
out:
r0 = 0
exit`, type);
}

const SYN = 0x02, ACK = 0x10, RST = 0x04;
const SKB_SK_CASES: [string, { version?: number; flags: number; doff?: number }, number, number][] = [
  ['SYN', { flags: SYN }, 20, 20],
  ['short TCP header', { flags: SYN }, 20, 16],
  ['doff disagrees', { flags: SYN, doff: 6 }, 20, 20],
];
const LISTENER_CASES: [string, { version?: number; flags: number; doff?: number }, number, number][] = [
  ['SYN', { flags: SYN }, 20, 20],
  ['ACK', { flags: ACK }, 20, 20],
  ['SYN+ACK', { flags: SYN | ACK }, 20, 20],
  ['RST', { flags: RST }, 20, 20],
  ['doff disagrees', { flags: SYN, doff: 6 }, 20, 20],
  ['IP header too short', { flags: SYN }, 16, 20],
  ['IP version 5', { version: 5, flags: SYN }, 20, 20],
  ['IPv6 version in a 20-byte header', { version: 6, flags: SYN }, 20, 20],
  ['IPv6 version on an IPv4 listener', { version: 6, flags: SYN }, 40, 20],
];

describe('bpf_tcp_gen_syncookie / bpf_tcp_check_syncookie on the VM', () => {
  const sockets: SocketSpec[] = [{ family: 'ipv4', protocol: 'tcp', state: 'listen', localAddr: Uint8Array.from([127, 0, 0, 1]), localPort: 8080 }];
  const listener = (h: { version?: number; flags: number; doff?: number }, ipLen = 20, thLen = 20) =>
    vmOut(syncookieProgram({ kind: 'lookup', port: 8080 }, headers(h), ipLen, thLen), new Uint8Array(64), 2, sockets);
  it('a listener with room in its SYN queue gives no cookie; malformed headers are -EINVAL', () => {
    expect(listener({ flags: SYN })).toEqual([-2n, -2n]);
    expect(listener({ flags: ACK })).toEqual([-22n, -2n]);
    expect(listener({ flags: SYN, doff: 6 })).toEqual([-22n, -2n]);
    expect(listener({ version: 5, flags: SYN })).toEqual([-93n, -2n]);
    expect(listener({ flags: ACK }, 16)).toEqual([-22n, -22n]);
  });
  it('the test run\'s socket is no TCP listener: -EINVAL', () => {
    expect(vmOut(syncookieProgram({ kind: 'skb' }, headers({ flags: SYN }), 20, 20), udpPacket(), 2)).toEqual([-22n, -22n]);
  });
});

describe.skipIf(!k.ok)('bpf_tcp_gen_syncookie / bpf_tcp_check_syncookie: VM vs kernel', () => {
  const syncookies = (() => { try { return readFileSync('/proc/sys/net/ipv4/tcp_syncookies', 'utf8').trim(); } catch { return '?'; } })();
  const listenerPort = useTcpListener();
  for (const [name, h, ipLen, thLen] of SKB_SK_CASES) {
    it(`skb->sk: ${name}`, () => {
      const p = syncookieProgram({ kind: 'skb' }, headers(h), ipLen, thLen);
      expect(vmOut(p, udpPacket(), 2)).toEqual(kernelOut(p, udpPacket(), 2));
    });
  }
  for (const [name, h, ipLen, thLen] of LISTENER_CASES) {
    it.skipIf(syncookies !== '1')(`listener: ${name}`, () => {
      const port = listenerPort();
      const sockets: SocketSpec[] = [{ family: 'ipv4', protocol: 'tcp', state: 'listen', localAddr: Uint8Array.from([127, 0, 0, 1]), localPort: port }];
      for (const type of ['sched_cls', 'xdp'] as const) {
        const p = syncookieProgram({ kind: 'lookup', port }, headers(h), ipLen, thLen, type);
        expect(vmOut(p, new Uint8Array(64), 2, sockets), `${type} ${name}`).toEqual(kernelOut(p, new Uint8Array(64), 2));
      }
    });
  }
});

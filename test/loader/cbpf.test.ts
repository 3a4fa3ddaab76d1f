/**
 * Classic BPF: parsing tcpdump's output, the kernel's classic checks, and the conversion to
 * eBPF. The tcpdump filters (test/fixtures/cbpf/, from `tcpdump -dd`) give the same snap
 * length on every packet in three places: the kernel running the classic filter
 * (SO_ATTACH_FILTER), the kernel running our converted program (BPF_PROG_TEST_RUN) and
 * bpflab's VM running it.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { validateInsns } from '../../src/isa/decode.js';
import { InputError } from '../../src/isa/errors.js';
import type { Program } from '../../src/isa/program.js';
import { kernelAvailable, progLoad, progTestRun, closeFd } from '../../src/kernel/index.js';
import {
  CbpfError, checkClassic, classicProgram, convertClassic, decodeCbpf, encodeCbpf, loadCbpf, parseCbpf, SECCOMP_DATA_SIZE, type ClassicInsn,
} from '../../src/loader/cbpf.js';
import { loadFile } from '../../src/loader/index.js';
import { runProgram } from '../../src/vm/index.js';
import { classicKernelAvailable, kernelClassicRun } from './classic-kernel.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/cbpf/${name}`, import.meta.url), 'utf8');
const FILTERS = ['ip.cbpf', 'tcp-port-80.cbpf', 'udp-host-10.0.0.1.cbpf'];
const s = (code: number, k = 0): ClassicInsn => ({ code, jt: 0, jf: 0, k });
const j = (code: number, k: number, jt: number, jf: number): ClassicInsn => ({ code, jt, jf, k });

// ------------------------------------------------------------------ packets

function ether(type: number, payload: number[]): Uint8Array {
  return new Uint8Array([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, type >> 8, type & 0xff, ...payload]);
}
function ipv4(proto: number, src: number[], dst: number[], l4: number[], opts: { frag?: number; ihl?: number } = {}): number[] {
  const ihl = opts.ihl ?? 5;
  const len = ihl * 4 + l4.length;
  const hdr = [0x40 | ihl, 0, len >> 8, len & 0xff, 0, 1, (opts.frag ?? 0) >> 8, (opts.frag ?? 0) & 0xff, 64, proto, 0, 0, ...src, ...dst];
  while (hdr.length < ihl * 4) hdr.push(1);
  return [...hdr, ...l4];
}
function ipv6(next: number, l4: number[]): number[] {
  return [0x60, 0, 0, 0, l4.length >> 8, l4.length & 0xff, next, 64, ...new Array(15).fill(0), 1, ...new Array(15).fill(0), 2, ...l4];
}
const ports = (sport: number, dport: number, rest: number[] = []) => [sport >> 8, sport & 0xff, dport >> 8, dport & 0xff, ...rest];
const tcp = (sport: number, dport: number) => ports(sport, dport, [0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0]);
const udp = (sport: number, dport: number) => ports(sport, dport, [0, 12, 0, 0, 1, 2, 3, 4]);
const A = [10, 0, 0, 1];
const B = [192, 168, 1, 7];

const PACKETS: [string, Uint8Array][] = [
  ['ipv4 tcp to :80', ether(0x0800, ipv4(6, B, A, tcp(40000, 80)))],
  ['ipv4 tcp from :80', ether(0x0800, ipv4(6, A, B, tcp(80, 40000)))],
  ['ipv4 tcp :22', ether(0x0800, ipv4(6, B, A, tcp(40000, 22)))],
  ['ipv4 tcp :80 with ip options', ether(0x0800, ipv4(6, B, B, tcp(1234, 80), { ihl: 7 }))],
  ['ipv4 tcp :80 later fragment', ether(0x0800, ipv4(6, B, B, tcp(1234, 80), { frag: 0x0010 }))],
  ['ipv4 udp to 10.0.0.1', ether(0x0800, ipv4(17, B, A, udp(5353, 53)))],
  ['ipv4 udp from 10.0.0.1', ether(0x0800, ipv4(17, A, B, udp(53, 5353)))],
  ['ipv4 udp other hosts', ether(0x0800, ipv4(17, B, B, udp(53, 80)))],
  ['ipv4 icmp to 10.0.0.1', ether(0x0800, ipv4(1, B, A, [8, 0, 0, 0, 0, 1, 0, 1]))],
  ['ipv6 tcp :80', ether(0x86dd, ipv6(6, tcp(5000, 80)))],
  ['ipv6 udp', ether(0x86dd, ipv6(17, udp(5000, 53)))],
  ['arp for 10.0.0.1', ether(0x0806, [0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 2, ...B, 0, 0, 0, 0, 0, 0, ...A])],
  ['truncated ipv4 tcp header', ether(0x0800, ipv4(6, B, A, tcp(40000, 80))).subarray(0, 36)],
  ['ethernet header only', ether(0x0800, [])],
  ['10 bytes', new Uint8Array(10)],
  ['1 byte', new Uint8Array([0x45])],
];

/** What a socket delivers for filter result r on a packet of n bytes (sk_filter_trim_cap). */
const delivered = (r: bigint | number, n: number) => (BigInt(r) === 0n ? 0 : Math.min(Number(BigInt.asUintN(32, BigInt(r))), n));

/** The VM runs socket filters like BPF_PROG_TEST_RUN: the input frame's first 14 bytes (MAC header) are pulled. */
function vmRun(p: Program, packet: Uint8Array): number {
  const r = runProgram(p, { packet: new Uint8Array([...new Uint8Array(14), ...packet]) });
  if (r.error || r.fault) throw new Error(`VM: ${r.error?.message ?? r.fault?.message}`);
  return delivered(r.r0, packet.length);
}

const kc = classicKernelAvailable();
if (!kc.ok) console.log(`skip classic-in-kernel comparisons: ${kc.reason}`);
const ke = kernelAvailable();
if (!ke.ok) console.log(`skip BPF_PROG_TEST_RUN comparisons: ${ke.reason}`);

/** The converted program in the kernel: socket_filter test runs start after a 14-byte MAC header. */
function kernelEbpfRun(p: Program, packets: readonly Uint8Array[]): number[] {
  const load = progLoad(p, { logLevel: 1 });
  if (load.fd === null) throw new Error(`kernel rejected the converted program: ${load.log.split('\n').slice(-3).join(' | ')}`);
  try {
    return packets.map((pk) => delivered(progTestRun(load.fd!, { data: new Uint8Array([...new Uint8Array(14), ...pk]) }).retval, pk.length));
  } finally {
    closeFd(load.fd);
  }
}

// ------------------------------------------------------------------ tests

describe('parsing', () => {
  test('tcpdump -dd fixtures parse; -ddd and raw records give the same instructions', () => {
    for (const f of FILTERS) {
      const { insns } = parseCbpf(fixture(f), f);
      expect(insns.length).toBeGreaterThan(1);
      const ddd = `${insns.length}\n${insns.map((i) => `${i.code} ${i.jt} ${i.jf} ${i.k}`).join('\n')}\n`;
      expect(parseCbpf(ddd, 'x.ddd').insns).toEqual(insns);
      expect(decodeCbpf(encodeCbpf(insns), 'x.bin')).toEqual(insns);
    }
  });

  test('a C array of struct sock_filter with comments', () => {
    const text = '/* accept ARP */\nstatic struct sock_filter code[] = {\n  { 0x28, 0, 0, 0x0000000c }, // ldh [12]\n  { 0x15, 0, 1, 0x00000806 },\n  { 0x6, 0, 0, 0xffffffff },\n  { 0x6, 0, 0, 0 },\n};\n';
    expect(parseCbpf(text, 'arp.c').insns).toEqual([s(0x28, 12), j(0x15, 0x806, 0, 1), s(6, 0xffffffff), s(6, 0)]);
  });

  test('syntax errors name the line and column', () => {
    expect(() => parseCbpf('{ 0x28, 0, 0, 12 },\n{ 0x15, 0, zz, 1 },\n', 'f.cbpf')).toThrow(/^f\.cbpf:2:\d+: jf: 'zz' is not a number/);
    expect(() => parseCbpf('{ 0x28, 0, 0 },', 'f.cbpf')).toThrow(/^f\.cbpf:1:1: expected \{ code, jt, jf, k \}/);
    expect(() => parseCbpf('{ 0x28, 0x100, 0, 1 },', 'f.cbpf')).toThrow(/jt 0x100 does not fit/);
    expect(() => parseCbpf('3\n40 0 0 12\n6 0 0 0\n', 'f.ddd')).toThrow(/count line says 3 instructions, found 2/);
    expect(() => parseCbpf('# nothing\n', 'f.cbpf')).toThrow(/no classic BPF instructions/);
    expect(() => decodeCbpf(new Uint8Array(12), 'f.bin')).toThrow(InputError);
  });
});

/** Filters the kernel refuses with EINVAL, and the rule our checker names. */
const INVALID: [string, ClassicInsn[], RegExp, number][] = [
  ['unknown opcode', [s(0x07 | 0x40), s(6)], /opcode 0x47 is not allowed/, 0],
  ['division by constant zero', [s(0x34, 0), s(6)], /division by constant zero/, 0],
  ['shift by 32', [s(0x64, 32), s(6)], /shift by 32/, 0],
  ['scratch M[16]', [s(0x02, 16), s(6)], /M\[16\] out of range/, 0],
  ['jump past the end', [s(0x05, 1), s(6)], /jump offset 1 out of range/, 0],
  ['conditional jump past the end', [j(0x15, 1, 0, 1), s(6)], /conditional jump target out of range/, 0],
  ['unknown ancillary load', [s(0x20, 0xfffff000 + 100), s(6)], /unknown ancillary load/, 0],
  ['no RET at the end', [s(0x28, 12)], /last instruction is not a RET/, 0],
  ['M[3] read before written', [s(0x60, 3), s(0x16)], /M\[3\] read before it is written/, 0],
  ['M[1] written on one path only', [j(0x15, 0, 0, 1), s(0x02, 1), s(0x61, 1), s(0x16)], /M\[1\] read before it is written/, 2],
];

describe('bpf_check_classic', () => {
  test.each(INVALID)('%s', (_n, insns, reason, pc) => {
    let err: unknown;
    try { checkClassic(insns, 'f'); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(CbpfError);
    expect((err as CbpfError).message).toMatch(reason);
    expect((err as CbpfError).pc).toBe(pc);
  });

  test.skipIf(!kc.ok)('the kernel refuses the same filters (SO_ATTACH_FILTER: EINVAL)', () => {
    for (const [name, insns] of INVALID) expect(() => kernelClassicRun(insns, [new Uint8Array(20)]), name).toThrow(/refused the filter/);
  });

  test('empty and oversized programs', () => {
    expect(() => checkClassic([], 'f')).toThrow(/length 0/);
    expect(() => checkClassic(new Array(4097).fill(s(6)), 'f')).toThrow(/length 4097/);
  });
});

describe('tcpdump filters', () => {
  test.each(FILTERS)('%s converts to a valid socket_filter program', (f) => {
    const p = loadCbpf(fixture(f), f);
    expect(p.type).toBe('socket_filter');
    validateInsns(p.insns);
    // Prologue: A = 0, X = 0, ctx saved in r6.
    expect(p.insns.slice(0, 3).map((i) => [i.code, i.dst, i.src, i.imm])).toEqual([[0xb4, 0, 0, 0], [0xb4, 7, 0, 0], [0xbf, 6, 1, 0]]);
  });

  test.each(FILTERS)('%s: the VM gives the expected snap lengths', (f) => {
    const p = loadCbpf(fixture(f), f);
    const got = Object.fromEntries(PACKETS.map(([n, pk]) => [n, vmRun(p, pk)]));
    const full = (n: string) => PACKETS.find((x) => x[0] === n)![1].length;
    if (f === 'ip.cbpf') {
      expect(got['ipv4 tcp to :80']).toBe(full('ipv4 tcp to :80'));
      expect(got['ipv6 tcp :80']).toBe(0);
      expect(got['arp for 10.0.0.1']).toBe(0);
    } else if (f === 'tcp-port-80.cbpf') {
      expect(got['ipv4 tcp to :80']).toBe(full('ipv4 tcp to :80'));
      expect(got['ipv4 tcp from :80']).toBe(full('ipv4 tcp from :80'));
      expect(got['ipv4 tcp :80 with ip options']).toBe(full('ipv4 tcp :80 with ip options'));
      expect(got['ipv4 tcp :80 later fragment']).toBe(0);
      expect(got['ipv4 tcp :22']).toBe(0);
      expect(got['ipv6 tcp :80']).toBe(full('ipv6 tcp :80'));
      expect(got['truncated ipv4 tcp header']).toBe(0);
    } else {
      expect(got['ipv4 udp to 10.0.0.1']).toBe(full('ipv4 udp to 10.0.0.1'));
      expect(got['ipv4 udp from 10.0.0.1']).toBe(full('ipv4 udp from 10.0.0.1'));
      expect(got['ipv4 udp other hosts']).toBe(0);
      expect(got['ipv4 icmp to 10.0.0.1']).toBe(0);
    }
    expect(got['1 byte']).toBe(0);
  });

  test.skipIf(!kc.ok || !ke.ok).each(FILTERS)('%s: kernel classic = kernel eBPF (converted) = VM on every packet', (f) => {
    const { insns } = parseCbpf(fixture(f), f);
    const p = classicProgram(insns, f);
    const packets = PACKETS.map((x) => x[1]);
    const classic = kernelClassicRun(insns, packets);
    expect(kernelEbpfRun(p, packets)).toEqual(classic);
    expect(packets.map((pk) => vmRun(p, pk))).toEqual(classic);
    expect(classic.some((n) => n > 0) && classic.some((n) => n === 0)).toBe(true);
  });

  test.skipIf(!kc.ok || !ke.ok).each(FILTERS)('%s: random mutations of the packets agree too', (f) => {
    const { insns } = parseCbpf(fixture(f), f);
    const p = classicProgram(insns, f);
    const arb = fc.tuple(fc.constantFrom(...PACKETS.map((x) => x[1])), fc.array(fc.tuple(fc.nat(80), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat(90))
      .map(([base, flips, cut]) => {
        const b = new Uint8Array(base);
        for (const [i, v] of flips) if (i < b.length) b[i] = v;
        return b.subarray(0, Math.max(1, Math.min(b.length, cut + 1)));
      });
    const packets = fc.sample(arb, { numRuns: 150, seed: 4 });
    const classic = kernelClassicRun(insns, packets);
    expect(kernelEbpfRun(p, packets)).toEqual(classic);
    expect(packets.map((pk) => vmRun(p, pk))).toEqual(classic);
  });
});

/** A filter using everything the converter handles besides packet loads of tcpdump's filters. */
const EVERYTHING: ClassicInsn[] = [
  s(0x80),            // 0: A = len
  s(0x02, 0),         // 1: M[0] = A
  s(0x01, 3),         // 2: X = 3
  s(0x3c),            // 3: A /= X
  s(0x03, 1),         // 4: M[1] = X
  s(0x07),            // 5: X = A (tax)
  s(0x60, 0),         // 6: A = M[0]
  s(0x1c),            // 7: A -= X
  s(0x44, 0x100),     // 8: A |= 0x100
  j(0x25, 0xfffffff0, 1, 0), // 9: if A > 0xfffffff0 (negative k) goto 11
  s(0xb1, 14),        // 10: X = 4 * (P[14] & 0xf)
  s(0x50, 0),         // 11: A = P[X + 0] (ldb ind)
  s(0x84),            // 12: A = -A
  s(0x54, 0xff),      // 13: A &= 0xff
  j(0x45, 0x80, 0, 1),// 14: if A & 0x80 goto 15 else 16
  s(0x64, 1),         // 15: A <<= 1
  s(0x61, 1),         // 16: X = M[1]
  s(0x9c),            // 17: A %= X
  s(0x0c),            // 18: A += X
  s(0x87),            // 19: A = X (txa)
  s(0x04, 60),        // 20: A += 60
  s(0x16),            // 21: ret A
];
const DIV_BY_X: ClassicInsn[] = [s(0x28, 12), s(0x07), s(0x00, 100), s(0x3c), s(0x16)]; // A = 100 / P[12:2]

describe('converter', () => {
  test('the converted EVERYTHING filter is valid eBPF and uses the kernel shapes', () => {
    checkClassic(EVERYTHING);
    const insns = convertClassic(EVERYTHING);
    validateInsns(insns);
    // Negative immediate: compared through a register.
    expect(insns.some((i) => i.code === 0xb4 && i.dst === 8 && i.imm === -16)).toBe(true);
    // Division by X guarded: w7 = w7; if r7 != 0 goto +2; w0 ^= w0; exit.
    const g = insns.findIndex((i) => i.code === 0xbc && i.dst === 7 && i.src === 7);
    expect(insns.slice(g, g + 4).map((i) => i.code)).toEqual([0xbc, 0x55, 0xac, 0x95]);
    // Scratch memory on the stack.
    expect(insns.some((i) => i.code === 0x63 && i.dst === 10 && i.off === -4)).toBe(true);
    expect(insns.some((i) => i.code === 0x63 && i.dst === 10 && i.src === 7 && i.off === -8)).toBe(true);
  });

  test.skipIf(!kc.ok || !ke.ok)('EVERYTHING and division by a zero X agree with the kernel on every packet', () => {
    const packets = PACKETS.map((x) => x[1]);
    for (const f of [EVERYTHING, DIV_BY_X]) {
      const p = classicProgram(f, 'f');
      const classic = kernelClassicRun(f, packets);
      expect(kernelEbpfRun(p, packets)).toEqual(classic);
      expect(packets.map((pk) => vmRun(p, pk))).toEqual(classic);
    }
  });

  test('division by a zero X returns 0', () => {
    const p = classicProgram(DIV_BY_X, 'f');
    expect(vmRun(p, ether(0x0000, [1, 2, 3]))).toBe(0);
    expect(vmRun(p, ether(0x0005, [1, 2, 3]))).toBe(17);
  });

  test('unsupported ancillary loads are refused with the reason', () => {
    expect(() => classicProgram([s(0x20, 0xfffff000 + 12), s(0x16)], 'f')).toThrow(/SKF_AD_NLATTR needs kernel-internal data/);
    const p = classicProgram([s(0x28, 0xfffff000 + 0), s(0x16)], 'f'); // ldh proto
    expect(p.insns.some((i) => i.code === 0x61 && i.src === 6 && i.off === 16)).toBe(true);
  });
});

describe('seccomp', () => {
  // Allow read(0)/write(1) on x86_64, return errno for anything else, kill on another arch.
  const text = '# context: seccomp\n' + [
    '{ 0x20, 0, 0, 0x00000004 }', // A = arch
    '{ 0x15, 1, 0, 0xc000003e }', // if A == AUDIT_ARCH_X86_64 goto +1
    '{ 0x06, 0, 0, 0x00000000 }', // kill
    '{ 0x20, 0, 0, 0x00000000 }', // A = nr
    '{ 0x35, 0, 2, 0x00000002 }', // if A >= 2 goto +0 else +2
    '{ 0x20, 0, 0, 0x00000010 }', // A = args[0] low (offset 16)
    '{ 0x06, 0, 0, 0x00050001 }', // errno 1
    '{ 0x06, 0, 0, 0x7fff0000 }', // allow
  ].join(',\n') + '\n';
  const data = (nr: number, arch: number) => {
    const b = new Uint8Array(SECCOMP_DATA_SIZE);
    const dv = new DataView(b.buffer);
    dv.setInt32(0, nr, true);
    dv.setUint32(4, arch, true);
    return b;
  };
  const run = (p: Program, d: Uint8Array) => runProgram(p, { mem: d, entry: 'mem' }).r0;

  test('a seccomp filter becomes ctx loads from struct seccomp_data and runs', () => {
    const p = loadCbpf(text, 'policy.cbpf');
    expect(p).toMatchObject({ type: 'unspec', attachTo: 'seccomp', name: 'seccomp_filter' });
    validateInsns(p.insns);
    expect(p.insns.filter((i) => i.code === 0x61 && i.src === 6).map((i) => i.off)).toEqual([4, 0, 16]);
    expect(run(p, data(0, 0xc000003e))).toBe(0x7fff0000n);
    expect(run(p, data(1, 0xc000003e))).toBe(0x7fff0000n);
    expect(run(p, data(59, 0xc000003e))).toBe(0x50001n);
    expect(run(p, data(0, 0x40000028))).toBe(0n);
  });

  test('seccomp_check_filter: packet loads and unaligned or out-of-range offsets are refused; len is a constant', () => {
    expect(() => classicProgram([s(0x28, 0), s(6)], 'f', 'seccomp')).toThrow(/opcode 0x28 is not allowed in seccomp filters/);
    expect(() => classicProgram([s(0x20, 2), s(6)], 'f', 'seccomp')).toThrow(/offset 2 .* not 4-byte aligned/);
    expect(() => classicProgram([s(0x20, 64), s(6)], 'f', 'seccomp')).toThrow(/offset 64 is outside struct seccomp_data/);
    const p = classicProgram([s(0x80), s(0x16)], 'f', 'seccomp');
    expect(run(p, data(0, 0))).toBe(64n);
  });
});

describe('loadFile', () => {
  test('.cbpf files load through the dispatch', async () => {
    const [p] = await loadFile('tcp-port-80.cbpf', new TextEncoder().encode(fixture('tcp-port-80.cbpf')));
    expect(p!.type).toBe('socket_filter');
  });

  test('bad classic programs are InputErrors naming the file and instruction', async () => {
    await expect(loadFile('bad.cbpf', new TextEncoder().encode('{ 0x28, 0, 0, 12 },\n'))).rejects.toThrow(/^bad\.cbpf: classic insn 0: last instruction is not a RET/);
  });
});

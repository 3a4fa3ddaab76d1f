/**
 * skb_adjust_room, fib_lookup and the cgroup_array helpers (current_task_under_cgroup,
 * skb_under_cgroup): semantics on the VM, and r0 plus the bytes they write compared with
 * BPF_PROG_TEST_RUN where the host makes the answer deterministic.
 */
import { mkdirSync, openSync, closeSync, readFileSync, rmdirSync, existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kernelAvailable, runInKernel } from '../../src/kernel/index.js';
import type { FibModel } from '../../src/runtime/fib.js';
import { isCgroupArray } from '../../src/runtime/maps/index.js';
import { R0_MAP, captureR0 } from '../../src/vm/kernel-harness.js';
import { Vm } from '../../src/vm/index.js';
import { hex, prog, udpPacket } from './util.js';

const k = kernelAvailable();
if (!k.ok) console.log(`skip kernel comparisons of skb_adjust_room / fib_lookup / cgroup_array: ${k.reason}`);

const kernelR0 = (maps: { name: string; entries: [Uint8Array, Uint8Array][] }[]): bigint =>
  new DataView(maps.find((m) => m.name === R0_MAP)!.entries[0]![1].buffer).getBigUint64(0, true);

/** skb_adjust_room(skb, diff, mode, flags) on a tc program; r0 = the helper's return (sign-extended). */
const adjust = (diff: number, mode: number, flags: string) =>
  prog(`r2 = ${diff}\nr3 = ${mode}\nr4 = ${flags} ll\ncall bpf_skb_adjust_room\nr0 <<= 32\nr0 s>>= 32\nexit`, 'sched_cls');

const vlanFrame = (): Uint8Array => { const u = udpPacket(); const b = new Uint8Array(u.length + 4); b.set(u.subarray(0, 12)); b.set([0x81, 0, 0, 5], 12); b.set(u.subarray(12), 16); return b; };

const ADJUST_CASES: [string, number, number, string, Uint8Array?][] = [
  ['grow 8 at MAC', 8, 1, '0'],
  ['grow 12 at NET', 12, 0, '0'],
  ['shrink 4 at NET', -4, 0, '0'],
  ['shrink 8 at MAC', -8, 1, '0'],
  ['shrink to below the L3 header', -40, 0, '0'],
  ['unknown mode', 8, 7, '0'],
  ['len_diff above 0xfff', 0x1000, 1, '0'],
  ['unknown flag', 8, 1, '0x100000'],
  ['decap flag on a grow', 8, 1, '0x80'],
  ['encap ipv4+ipv6', 28, 1, '6'],
  ['encap ipv6 on an IPv4 packet (protocol changes)', 40, 1, '4'],
  ['encap gre+udp', 28, 1, '0x1a'],
  ['encap L2 eth with inner mac 14', 28, 1, '0x0e00000000000042'],
  ['encap L2 eth with inner mac 4', 28, 1, '0x0400000000000042'],
  ['decap ipv4 on shrink', -20, 1, '0x80'],
  ['not IP (VLAN-tagged frame)', 8, 1, '0', vlanFrame()],
];

describe('bpf_skb_adjust_room', () => {
  it('inserts zero bytes after the MAC header and removes them again', () => {
    const p = udpPacket();
    const g = new Vm(adjust(8, 1, '0')).run({ packet: p });
    expect(g.r0).toBe(0n);
    expect(hex(g.packet!)).toBe(hex(p.subarray(0, 14)) + '00'.repeat(8) + hex(p.subarray(14)));
    const s = new Vm(adjust(-4, 0, '0')).run({ packet: p });
    expect(hex(s.packet!)).toBe(hex(p.subarray(0, 34)) + hex(p.subarray(38)));
  });
  it('refuses non-IP skbs and bad arguments with the kernel errnos', () => {
    expect(BigInt.asIntN(64, new Vm(adjust(8, 1, '0')).run({ packet: vlanFrame() }).r0)).toBe(-524n);
    expect(BigInt.asIntN(64, new Vm(adjust(0x1000, 1, '0')).run({ packet: udpPacket() }).r0)).toBe(-14n);
    expect(BigInt.asIntN(64, new Vm(adjust(8, 1, '0x80')).run({ packet: udpPacket() }).r0)).toBe(-22n);
  });
});

describe.skipIf(!k.ok)('bpf_skb_adjust_room: VM vs kernel', () => {
  for (const [name, diff, mode, flags, frame] of ADJUST_CASES) {
    it(name, () => {
      const data = frame ?? udpPacket(53, new Uint8Array(40));
      // r0 and the protocol after the call: r0 = ret << 16 | skb->protocol
      const p = prog(`r6 = r1\nr2 = ${diff}\nr3 = ${mode}\nr4 = ${flags} ll\ncall bpf_skb_adjust_room\nr0 <<= 32\nr0 s>>= 16\nr1 = *(u16 *)(r6 +16)\nr0 |= r1\nexit`, 'sched_cls');
      const kr = runInKernel(captureR0(p), { data });
      expect(kr.load.verdict).toBe('accept');
      const r = new Vm(p).run({ packet: data });
      expect(`0x${BigInt.asUintN(64, r.r0).toString(16)}`).toBe(`0x${kernelR0(kr.maps).toString(16)}`);
      expect(hex(r.packet!)).toBe(hex(kr.run!.dataOut!));
    });
  }
});

/** fib_lookup(ctx, params on the stack at fp-64, plen, flags); r0 = ret; params copied to the map `out`. */
function fibProgram(type: 'sched_cls' | 'xdp', init: string, plen: number, flags: number) {
  return prog(`.map out array key=4 value=64 entries=1
r6 = r1
${Array.from({ length: 8 }, (_, i) => `*(u64 *)(r10 -${8 * (i + 1)}) = 0`).join('\n')}
${init}
r1 = r6
r2 = r10
r2 += -64
r3 = ${plen}
r4 = ${flags}
call bpf_fib_lookup
r7 = r0
r1 = map_value[out] + 0
r2 = r10
r2 += -64
r3 = 64
r4 = r10
r4 += -64
r2 = 64
r1 = r10
r1 += -64
r8 = 0
*(u32 *)(r10 -72) = r8
r1 = map[out]
r2 = r10
r2 += -72
r3 = r10
r3 += -64
r4 = 0
call bpf_map_update_elem
r0 = r7
r0 <<= 32
r0 s>>= 32
exit`, type);
}

const V4 = '*(u8 *)(r10 -64) = 2\n*(u32 *)(r10 -32) = 0x0100000a\n';
const FIB_CASES: [string, string, number, number][] = [
  ['plen below sizeof(struct bpf_fib_lookup)', V4 + '*(u32 *)(r10 -56) = 1', 60, 0],
  ['unknown flag', V4 + '*(u32 *)(r10 -56) = 1', 64, 0x40],
  ['family 0', '*(u32 *)(r10 -56) = 1', 64, 0],
  ['no such ifindex', V4 + '*(u32 *)(r10 -56) = 999999', 64, 0],
  ['IPv4 on lo (forwarding disabled)', V4 + '*(u32 *)(r10 -56) = 1', 64, 0],
  ['IPv6 on lo (forwarding disabled)', '*(u8 *)(r10 -64) = 10\n*(u32 *)(r10 -56) = 1', 64, 0],
];
const loForwarding = (() => { try { return readFileSync('/proc/sys/net/ipv4/conf/lo/forwarding', 'utf8').trim() + readFileSync('/proc/sys/net/ipv6/conf/lo/forwarding', 'utf8').trim(); } catch { return '?'; } })();

describe('bpf_fib_lookup on the routing model', () => {
  const fib: FibModel = {
    devices: [
      { ifindex: 1, mac: new Uint8Array(6), mtu: 65536, forwarding: false },
      { ifindex: 2, mac: Uint8Array.from([2, 0, 0, 0, 0, 2]), mtu: 1500, forwarding: true },
      { ifindex: 3, mac: Uint8Array.from([2, 0, 0, 0, 0, 3]), mtu: 1400, forwarding: true },
    ],
    routes: [
      { family: 'ipv4', dst: Uint8Array.from([10, 0, 0, 0]), prefixLen: 8, ifindex: 3, gateway: Uint8Array.from([10, 9, 9, 9]), metric: 100 },
      { family: 'ipv4', dst: Uint8Array.from([10, 0, 0, 0]), prefixLen: 24, ifindex: 2, metric: 5 },
      { family: 'ipv4', dst: Uint8Array.from([192, 0, 2, 0]), prefixLen: 24, ifindex: 2, type: 'blackhole' },
    ],
    neighbours: [
      { ifindex: 2, addr: Uint8Array.from([10, 0, 0, 1]), mac: Uint8Array.from([0xaa, 0, 0, 0, 0, 1]) },
      { ifindex: 3, addr: Uint8Array.from([10, 9, 9, 9]), mac: Uint8Array.from([0xaa, 0, 0, 0, 0, 9]) },
    ],
  };
  const run = (init: string, flags = 0, type: 'sched_cls' | 'xdp' = 'sched_cls') => {
    const vm = new Vm(fibProgram(type, init, 64, flags));
    const r = vm.run({ packet: udpPacket(), fib });
    return { r0: Number(BigInt.asIntN(64, r.r0)), params: vm.maps[0]!.lookup(new Uint8Array(4)) };
  };
  it('longest prefix wins: connected 10.0.0.0/24 on ifindex 2, neighbour MACs filled in, mtu_result set', () => {
    const { r0, params } = run(V4 + '*(u32 *)(r10 -56) = 2');
    expect(r0).toBe(0);
    const v = new DataView(params.buffer);
    expect([v.getUint32(8, true), v.getUint32(12, true), v.getUint16(6, true)]).toEqual([2, 5, 1500]);
    expect(hex(params.subarray(52, 64))).toBe('020000000002aa0000000001');
  });
  it('a gateway route rewrites the destination to the next hop', () => {
    const { r0, params } = run('*(u8 *)(r10 -64) = 2\n*(u32 *)(r10 -32) = 0x0501000a\n*(u32 *)(r10 -56) = 2');
    expect(r0).toBe(0);
    expect([...params.subarray(32, 36)]).toEqual([10, 9, 9, 9]);
    expect(new DataView(params.buffer).getUint32(8, true)).toBe(3);
  });
  it('result codes: blackhole, no route, no neighbour, SKIP_NEIGH, FRAG_NEEDED with tot_len, NO_SRC_ADDR', () => {
    expect(run('*(u8 *)(r10 -64) = 2\n*(u32 *)(r10 -32) = 0x010200c0\n*(u32 *)(r10 -56) = 2').r0).toBe(1);
    expect(run('*(u8 *)(r10 -64) = 2\n*(u32 *)(r10 -32) = 0x01020304\n*(u32 *)(r10 -56) = 2').r0).toBe(4);
    expect(run('*(u8 *)(r10 -64) = 2\n*(u32 *)(r10 -32) = 0x0700000a\n*(u32 *)(r10 -56) = 2').r0).toBe(7);
    expect(run('*(u8 *)(r10 -64) = 2\n*(u32 *)(r10 -32) = 0x0700000a\n*(u32 *)(r10 -56) = 2', 4).r0).toBe(0);
    const frag = run(V4 + '*(u32 *)(r10 -56) = 2\n*(u16 *)(r10 -58) = 1600');
    expect(frag.r0).toBe(8);
    expect(new DataView(frag.params.buffer).getUint16(6, true)).toBe(1500);
    expect(run(V4 + '*(u32 *)(r10 -56) = 2', 16).r0).toBe(9);
    expect(run(V4 + '*(u32 *)(r10 -56) = 1').r0).toBe(5);
  });
});

describe.skipIf(!k.ok)('bpf_fib_lookup: VM (default model) vs kernel', () => {
  for (const type of ['sched_cls', 'xdp'] as const) {
    for (const [name, init, plen, flags] of FIB_CASES) {
      const needsLo = name.includes('forwarding disabled');
      it.skipIf(needsLo && loForwarding !== '00')(`${type}: ${name}`, () => {
        const p = fibProgram(type, init, plen, flags);
        const data = udpPacket();
        const kr = runInKernel(captureR0(p), { data });
        expect(kr.load.verdict).toBe('accept');
        const vm = new Vm(p);
        const r = vm.run({ packet: data });
        expect(BigInt.asIntN(64, r.r0)).toBe(BigInt.asIntN(64, kernelR0(kr.maps)));
        expect(hex(vm.maps[0]!.lookup(new Uint8Array(4)))).toBe(hex(kr.maps[0]!.entries[0]![1]));
      });
    }
  }
  if (loForwarding !== '00') console.log(`skip fib_lookup on lo: forwarding on lo is ${loForwarding}, the default model assumes 0`);
});

/** current_task_under_cgroup(map, idx) / skb_under_cgroup(skb, map, idx); r0 sign-extended. */
const cgProgram = (idx: number, skb: boolean) =>
  prog(`.map cg cgroup_array key=4 value=4 entries=2\n${skb ? 'r2 = map[cg]\nr3 = ' + idx + '\ncall bpf_skb_under_cgroup' : 'r1 = map[cg]\nr2 = ' + idx + '\ncall bpf_current_task_under_cgroup'}\nr0 <<= 32\nr0 s>>= 32\nexit`, skb ? 'sched_cls' : 'socket_filter');

describe('cgroup_array', () => {
  it('current_task_under_cgroup: own cgroup and ancestors 1, others 0, empty slot -EAGAIN, past the end -E2BIG', () => {
    const r = (idx: number, slot: bigint | null, skb = false) => {
      const vm = new Vm(cgProgram(idx, skb));
      const m = vm.maps[0]!;
      if (!isCgroupArray(m)) throw new Error('not a cgroup_array');
      if (slot !== null) m.setCgroup(0, slot);
      return BigInt.asIntN(64, vm.run({ packet: udpPacket(), task: { cgroupId: 77n, cgroupAncestors: [1n, 40n] } }).r0);
    };
    expect([r(0, 77n), r(0, 40n), r(0, 1n), r(0, 78n), r(1, 77n), r(2, 77n)]).toEqual([1n, 1n, 1n, 0n, -11n, -7n]);
    expect([r(0, 40n, true), r(0, 5n, true)]).toEqual([1n, 0n]);
  });
  it('user space: fd updates with BPF_ANY only, lookups ENOTSUPP', () => {
    const vm = new Vm(cgProgram(0, false));
    const m = vm.maps[0]!;
    m.update(new Uint8Array(4), Uint8Array.from([5, 0, 0, 0]));
    expect(() => m.lookup(new Uint8Array(4))).toThrow(/ENOTSUPP|looked up/);
    expect(() => m.update(new Uint8Array(4), Uint8Array.from([5, 0, 0, 0]), 1)).toThrow();
  });
});

const CGROUP2 = '/sys/fs/cgroup/unified';
const cgroup2 = existsSync(`${CGROUP2}/cgroup.procs`) ? CGROUP2 : existsSync('/sys/fs/cgroup/cgroup.procs') ? '/sys/fs/cgroup' : null;
const inRoot = (() => { try { return readFileSync('/proc/self/cgroup', 'utf8').split('\n').some((l) => l === '0::/'); } catch { return false; } })();

describe.skipIf(!k.ok || !cgroup2 || !inRoot)('cgroup_array: VM vs kernel (cgroup v2 fds)', () => {
  it('the root cgroup contains the task (1); a new child cgroup does not (0); empty slot / past the end', () => {
    const child = `${cgroup2}/bpflab-h12-${process.pid}`;
    mkdirSync(child);
    const fds = [openSync(cgroup2!, 'r'), openSync(child, 'r')];
    try {
      for (const skb of [false, true]) {
        for (const [slot, idx] of [[0, 0], [1, 0], [-1, 1], [0, 2]] as const) {
          const p = cgProgram(idx, skb);
          const fill = slot >= 0 ? [{ map: 'cg', key: new Uint8Array(4), value: Uint8Array.from([fds[slot]!, 0, 0, 0]) }] : [];
          // cgroup_array cannot be read back from user space: compare the 32-bit retval
          const kr = runInKernel(p, { data: udpPacket(), fill, dumpMaps: false });
          expect(kr.load.verdict).toBe('accept');
          const vm = new Vm(p);
          const m = vm.maps[0]!;
          if (!isCgroupArray(m)) throw new Error('not a cgroup_array');
          if (slot >= 0) m.setCgroup(0, slot === 0 ? 1n : 12345n); // the root's id is 1; the child is elsewhere
          const r = vm.run({ packet: udpPacket() });
          expect(`${skb} ${slot} ${idx}: ${BigInt.asIntN(32, r.r0)}`).toBe(`${skb} ${slot} ${idx}: ${BigInt.asIntN(32, BigInt(kr.run!.retval))}`);
        }
      }
    } finally { for (const fd of fds) closeSync(fd); rmdirSync(child); }
  });
});

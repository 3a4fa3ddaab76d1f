/** Semantics of every implemented helper, including error cases, on the VM. */
import { describe, expect, it } from 'vitest';
import { AddressSpace, Clock } from '../../src/runtime/env.js';
import { HELPER_PROTOS } from '../../src/runtime/helpers/prototypes.js';
import { IMPLEMENTED_HELPERS } from '../../src/runtime/helpers/impl/index.js';
import { createMap } from '../../src/runtime/maps/create.js';
import type { BpfMap, PerfEventArrayMap, RingBufMap } from '../../src/runtime/maps/types.js';
import { type RunInput, Vm } from '../../src/vm/index.js';
import { hex, prog, u32le, u64le, udpPacket } from './util.js';

const S = (v: bigint): bigint => BigInt.asIntN(64, v);

/** Runs `text` (with its .map declarations) and returns the signed r0, the VM and its maps. */
function run(text: string, input: RunInput = { entry: 'mem' }, maps?: BpfMap[]) {
  const p = prog(text);
  const vm = new Vm(p, maps ? { maps } : {});
  const r = vm.run(input);
  expect(r.fault?.message ?? r.error?.message).toBeUndefined();
  return { r0: S(r.r0), res: r, vm, maps: vm.maps };
}

const KEY = (k: number) => `r1 = ${k}\n*(u32 *)(r10 -4) = r1\nr2 = r10\nr2 += -4\n`;
const VAL = (v: number) => `r1 = ${v}\n*(u64 *)(r10 -16) = r1\nr3 = r10\nr3 += -16\n`;

describe('helpers have prototypes and implementations', () => {
  it('every implemented helper has a prototype', () => {
    for (const id of IMPLEMENTED_HELPERS) expect(HELPER_PROTOS.get(id), `helper ${id}`).toBeDefined();
  });
});

describe('map helpers', () => {
  const HASH = '.map h hash key=4 value=8 entries=2\n';
  const update = (k: number, v: number, flags: number) => `${HASH}${KEY(k)}${VAL(v)}r1 = map[h]\nr4 = ${flags}\ncall bpf_map_update_elem\nexit`;
  it('update honours BPF_ANY / BPF_NOEXIST / BPF_EXIST and max_entries', () => {
    const maps = prog(HASH + 'exit').maps.map((s) => createMap(s));
    expect(run(update(1, 10, 2), undefined, maps).r0).toBe(-2n); // EXIST on a missing key: -ENOENT
    expect(run(update(1, 10, 1), undefined, maps).r0).toBe(0n);
    expect(run(update(1, 11, 1), undefined, maps).r0).toBe(-17n); // NOEXIST on a present key: -EEXIST
    expect(run(update(1, 12, 2), undefined, maps).r0).toBe(0n);
    expect(run(update(2, 20, 0), undefined, maps).r0).toBe(0n);
    expect(run(update(3, 30, 0), undefined, maps).r0).toBe(-7n); // full: -E2BIG
    expect(run(update(1, 1, 9), undefined, maps).r0).toBe(-22n); // bad flags: -EINVAL
    expect(hex(maps[0]!.lookup(u32le(1)))).toBe(hex(u64le(12n)));
  });
  it('lookup returns live value storage (writes land in the map); delete; missing key gives NULL', () => {
    const maps = prog(HASH + 'exit').maps.map((s) => createMap(s));
    maps[0]!.update(u32le(7), u64le(5n));
    const text = `${HASH}${KEY(7)}r1 = map[h]\ncall bpf_map_lookup_elem\nif r0 == 0 goto miss\nr1 = *(u64 *)(r0 +0)\nr1 += 100\n*(u64 *)(r0 +0) = r1\nr0 = r1\nexit\nmiss:\nr0 = -1\nexit`;
    expect(run(text, undefined, maps).r0).toBe(105n);
    expect(hex(maps[0]!.lookup(u32le(7)))).toBe(hex(u64le(105n)));
    const del = `${HASH}${KEY(7)}r1 = map[h]\ncall bpf_map_delete_elem\nexit`;
    expect(run(del, undefined, maps).r0).toBe(0n);
    expect(run(del, undefined, maps).r0).toBe(-2n);
    expect(run(text, undefined, maps).r0).toBe(-1n);
  });
  it('a value pointer is bounded by value_size', () => {
    const text = `.map a array key=4 value=8 entries=4\n${KEY(1)}r1 = map[a]\ncall bpf_map_lookup_elem\nif r0 == 0 goto out\nr0 = *(u64 *)(r0 +8)\nout:\nexit`;
    const r = new Vm(prog(text)).run({ entry: 'mem' });
    expect(r.fault?.toJSON()).toMatchObject({ kind: 'out_of_bounds', region: 'map_value', offset: 8, size: 8 });
  });
  it('queue and stack: push (full: -E2BIG, BPF_EXIST overwrites), pop, peek, empty: -ENOENT', () => {
    for (const kind of ['queue', 'stack'] as const) {
      const decl = `.map q ${kind} key=0 value=8 entries=2\n`;
      const maps = prog(decl + 'exit').maps.map((s) => createMap(s));
      const push = (v: number, f = 0) => `${decl}r1 = ${v}\n*(u64 *)(r10 -8) = r1\nr2 = r10\nr2 += -8\nr1 = map[q]\nr3 = ${f}\ncall bpf_map_push_elem\nexit`;
      const get = (fn: string) => `${decl}r2 = r10\nr2 += -8\nr1 = map[q]\ncall ${fn}\nif r0 != 0 goto out\nr0 = *(u64 *)(r10 -8)\nout:\nexit`;
      expect(run(get('bpf_map_pop_elem'), undefined, maps).r0).toBe(-2n);
      expect(run(push(1), undefined, maps).r0).toBe(0n);
      expect(run(push(2), undefined, maps).r0).toBe(0n);
      expect(run(push(3), undefined, maps).r0).toBe(-7n);
      expect(run(push(3, 2), undefined, maps).r0).toBe(0n); // BPF_EXIST: drop the oldest
      expect(run(get('bpf_map_peek_elem'), undefined, maps).r0).toBe(kind === 'queue' ? 2n : 3n);
      expect(run(get('bpf_map_pop_elem'), undefined, maps).r0).toBe(kind === 'queue' ? 2n : 3n);
      expect(run(get('bpf_map_pop_elem'), undefined, maps).r0).toBe(kind === 'queue' ? 3n : 2n);
    }
  });
});

describe('output helpers', () => {
  it('ringbuf: reserve/submit, reserve/discard, output, query; the consumer sees committed records', () => {
    const text = `.map rb ringbuf key=0 value=0 entries=4096
      r1 = map[rb]
      r2 = 8
      r3 = 0
      call bpf_ringbuf_reserve
      if r0 == 0 goto fail
      r1 = 0x1111
      *(u64 *)(r0 +0) = r1
      r1 = r0
      r2 = 0
      call bpf_ringbuf_submit
      r1 = map[rb]
      r2 = 8
      r3 = 0
      call bpf_ringbuf_reserve
      if r0 == 0 goto fail
      r1 = r0
      r2 = 0
      call bpf_ringbuf_discard
      r1 = 0x2222
      *(u64 *)(r10 -8) = r1
      r1 = map[rb]
      r2 = r10
      r2 += -8
      r3 = 8
      r4 = 0
      call bpf_ringbuf_output
      if r0 != 0 goto fail
      r1 = map[rb]
      r2 = 0
      call bpf_ringbuf_query
      exit
    fail:
      r0 = -1
      exit`;
    const { r0, maps } = run(text);
    expect(r0).toBeGreaterThan(0n); // BPF_RB_AVAIL_DATA: bytes not yet consumed
    const recs = (maps[0] as RingBufMap).consume().map(hex);
    expect(recs).toEqual([hex(u64le(0x1111n)), hex(u64le(0x2222n))]);
  });
  it('ringbuf: the record is gone after submit (a later access faults)', () => {
    const text = `.map rb ringbuf key=0 value=0 entries=4096
      r1 = map[rb]\nr2 = 8\nr3 = 0\ncall bpf_ringbuf_reserve\nif r0 == 0 goto out\nr6 = r0\nr1 = r0\nr2 = 0\ncall bpf_ringbuf_submit\nr0 = *(u64 *)(r6 +0)\nout:\nexit`;
    expect(new Vm(prog(text)).run({ entry: 'mem' }).fault?.kind).toBe('out_of_bounds');
  });
  it('perf_event_output writes a record to the current CPU, packet bytes appended on request', () => {
    const text = `.map ev perf_event_array key=4 value=4 entries=2
      r6 = r1
      r1 = 0xabcd
      *(u64 *)(r10 -8) = r1
      r1 = r6
      r2 = map[ev]
      r3 = 0x4ffffffff ll
      r4 = r10
      r4 += -8
      r5 = 8
      call bpf_perf_event_output
      exit`;
    const vm = new Vm(prog(text, 'sched_cls'));
    const r = vm.run({ packet: udpPacket() });
    expect(r.r0).toBe(0n);
    const recs = (vm.maps[0] as PerfEventArrayMap).consume();
    expect(recs.map((r) => [r.index, hex(r.data)])).toEqual([[0, hex(u64le(0xabcdn)) + 'ffffffff']]);
  });
  it('trace_printk formats %d %u %llx (3 arguments) into the trace and returns the length', () => {
    const three = 'a=%d b=%u c=%llx\n';
    const b3 = [...three].map((c) => c.charCodeAt(0)).concat([0]);
    while (b3.length % 8) b3.push(0);
    let t3 = '';
    for (let i = 0; i < b3.length; i += 8) {
      const v = b3.slice(i, i + 8).reduce((a, b, j) => a | (BigInt(b) << BigInt(8 * j)), 0n);
      t3 += `r1 = 0x${v.toString(16)} ll\n*(u64 *)(r10 -${32 - i}) = r1\n`;
    }
    t3 += `r1 = r10\nr1 += -32\nr2 = ${b3.length}\nr3 = -5\nr4 = -1\nr5 = 0xbeef\ncall bpf_trace_printk\nexit`;
    const r = run(t3);
    expect(r.res.trace).toEqual(['a=-5 b=4294967295 c=beef']);
    expect(r.r0).toBe(BigInt('a=-5 b=4294967295 c=beef\n'.length));
  });
  it('snprintf formats u64 arguments from memory, truncates, returns the full length + 1', () => {
    const text = `.map out array key=4 value=16 entries=1
      r1 = 0x6425203a6e ll
      *(u64 *)(r10 -8) = r1
      r1 = 42
      *(u64 *)(r10 -16) = r1
      r1 = map_value[out] + 0
      r2 = 6
      r3 = r10
      r3 += -8
      r4 = r10
      r4 += -16
      r5 = 8
      call bpf_snprintf
      exit`;
    // fmt "n: %d" (NUL-terminated by the zero bytes above it in the u64)
    const { r0, maps } = run(text);
    expect(r0).toBe(BigInt('n: 42'.length + 1));
    expect(Buffer.from(maps[0]!.lookup(u32le(0)).subarray(0, 6)).toString('latin1')).toBe('n: 42\0');
  });
});

describe('machine and task helpers', () => {
  it('ktime follows the test clock; prandom is seedable; pid/uid/comm come from the task', () => {
    const t = `call bpf_ktime_get_ns\nr6 = r0\ncall bpf_ktime_get_ns\nr0 -= r6\nexit`;
    expect(run(t, { entry: 'mem', clock: new Clock({ stepNs: 250n }) }).r0).toBe(250n);
    expect(run('call bpf_ktime_get_ns\nexit', { entry: 'mem', clock: new Clock({ monoNs: 123n }) }).r0).toBe(123n);
    const rnd = 'call bpf_get_prandom_u32\nexit';
    const a = run(rnd, { entry: 'mem', seed: 7 }).r0, b = run(rnd, { entry: 'mem', seed: 7 }).r0, c = run(rnd, { entry: 'mem', seed: 8 }).r0;
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(a >= 0n && a < 2n ** 32n).toBe(true);
    expect(run('call bpf_get_current_pid_tgid\nexit', { entry: 'mem', task: { pid: 11, tgid: 10 } }).r0).toBe((10n << 32n) | 11n);
    expect(run('call bpf_get_current_uid_gid\nexit', { entry: 'mem', task: { uid: 1000, gid: 100 } }).r0).toBe((100n << 32n) | 1000n);
    const comm = `.map out array key=4 value=16 entries=1\nr1 = map_value[out] + 0\nr2 = 16\ncall bpf_get_current_comm\nexit`;
    const { maps } = run(comm, { entry: 'mem', task: { comm: 'a-very-long-task-name' } });
    expect(Buffer.from(maps[0]!.lookup(u32le(0))).toString('latin1')).toBe('a-very-long-tas\0');
    expect(run('call bpf_get_smp_processor_id\nexit', { entry: 'mem', cpu: 3 }).r0).toBe(3n);
  });
  it('probe_read_kernel copies from the modelled kernel memory; a bad address gives -EFAULT and zeroes', () => {
    const km = new AddressSpace().map(0xffff888000001000n, Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 0x68, 0x69, 0]));
    const read = (addr: string, fn = 'bpf_probe_read_kernel', n = 8) => `r1 = -1\n*(u64 *)(r10 -8) = r1\nr1 = r10\nr1 += -8\nr2 = ${n}\nr3 = ${addr} ll\ncall ${fn}\nr1 = *(u32 *)(r10 -8)\nr0 <<= 32\nr0 |= r1\nexit`;
    expect(run(read('0xffff888000001000'), { entry: 'mem', kernelMem: km }).r0).toBe((0n << 32n) | 0x04030201n);
    const bad = run(read('0xffff888000009000'), { entry: 'mem', kernelMem: km }).r0;
    expect(bad >> 32n).toBe(-14n); // -EFAULT, buffer zeroed
    expect(bad & 0xffffffffn).toBe(0n);
    const str = run(read('0xffff888000001008', 'bpf_probe_read_kernel_str'), { entry: 'mem', kernelMem: km }).r0;
    expect(str >> 32n).toBe(3n); // "hi" + NUL
    expect(str & 0xffffffn).toBe(0x006968n);
  });
  it('get_stackid gives equal stacks the same id', () => {
    const text = `.map st stack_trace key=4 value=64 entries=16\nr6 = r1\nr1 = r6\nr2 = map[st]\nr3 = 0\ncall bpf_get_stackid\nr7 = r0\nr1 = r6\nr2 = map[st]\nr3 = 0\ncall bpf_get_stackid\nr0 -= r7\nexit`;
    const p = prog(text, 'kprobe');
    const r = new Vm(p).run({ kernelStack: [0xffffffff81000010n, 0xffffffff81000020n] });
    expect(r.fault ?? r.error).toBeUndefined();
    expect(r.r0).toBe(0n);
    const none = new Vm(prog(`.map st stack_trace key=4 value=64 entries=16\nr2 = map[st]\nr3 = 0\ncall bpf_get_stackid\nexit`, 'kprobe')).run({});
    expect(S(none.r0)).toBe(-14n); // no stack: -EFAULT
  });
});

describe('control helpers', () => {
  it('bpf_loop calls the callback with (index, ctx) and stops when it returns 1', () => {
    const text = `
      r1 = 0
      *(u64 *)(r10 -8) = r1
      r1 = 100
      r2 = subprog[cb]
      r3 = r10
      r3 += -8
      r4 = 0
      call bpf_loop
      r1 = *(u64 *)(r10 -8)
      r0 <<= 16
      r0 |= r1
      exit
    cb:
      r3 = *(u64 *)(r2 +0)
      r3 += r1
      *(u64 *)(r2 +0) = r3
      r0 = 0
      if r1 != 9 goto cont
      r0 = 1
    cont:
      exit`;
    const { r0, res } = run(text);
    expect(r0).toBe((10n << 16n) | 45n); // 10 iterations, 0+1+...+9
    expect(res.maxDepth).toBe(1);
    expect(run('r1 = 0x800001\nr2 = subprog[cb]\nr3 = 0\nr4 = 0\ncall bpf_loop\nexit\ncb:\nr0 = 0\nexit').r0).toBe(-7n);
    expect(run('r1 = 1\nr2 = subprog[cb]\nr3 = 0\nr4 = 1\ncall bpf_loop\nexit\ncb:\nr0 = 0\nexit').r0).toBe(-22n);
  });
});

describe('more helpers', () => {
  it('redirect_map: XDP_REDIRECT for a present key, else the action in flags', () => {
    const text = (key: number, flags: number) => `.type xdp\n.map m array key=4 value=4 entries=2\nr1 = map[m]\nr2 = ${key}\nr3 = ${flags}\ncall bpf_redirect_map\nexit`;
    expect(new Vm(prog(text(1, 0))).run({ packet: udpPacket() }).r0).toBe(4n);
    expect(new Vm(prog(text(5, 2))).run({ packet: udpPacket() }).r0).toBe(2n);
    expect(new Vm(prog(text(1, 64))).run({ packet: udpPacket() }).r0).toBe(0n); // bad flags: XDP_ABORTED
  });
  it('xdp_adjust_meta: metadata before data, 4-byte multiples up to 32', () => {
    const text = (d: number) => `.type xdp\nr6 = r1\nr2 = ${d}\ncall bpf_xdp_adjust_meta\nr7 = r0\nr2 = *(u32 *)(r6 +0)\nr3 = *(u32 *)(r6 +8)\nr2 -= r3\nr0 = r7\nr0 <<= 8\nr0 |= r2\nexit`;
    expect(S(new Vm(prog(text(-8))).run({ packet: udpPacket() }).r0)).toBe(8n);
    expect(S(new Vm(prog(text(-6))).run({ packet: udpPacket() }).r0)).toBe(-13n * 256n); // -EACCES
    expect(S(new Vm(prog(text(-36))).run({ packet: udpPacket() }).r0)).toBe(-13n * 256n);
    expect(S(new Vm(prog(text(4))).run({ packet: udpPacket() }).r0)).toBe(-22n * 256n); // past data: -EINVAL
  });
  it('for_each_map_elem visits elements until the callback returns 1; lookup_percpu_elem reads another CPU', () => {
    const text = `.map a array key=4 value=8 entries=4
      r1 = map[a]
      r2 = subprog[cb]
      r3 = 0
      r4 = 0
      call bpf_for_each_map_elem
      exit
    cb:
      r0 = *(u32 *)(r2 +0)
      if r0 == 2 goto stop
      r0 = 0
      exit
    stop:
      r0 = 1
      exit`;
    expect(run(text).r0).toBe(3n);
    const pc = `.map p percpu_array key=4 value=8 entries=1\nr1 = 0\n*(u32 *)(r10 -4) = r1\nr2 = r10\nr2 += -4\nr1 = map[p]\nr3 = 1\ncall bpf_map_lookup_percpu_elem\nif r0 == 0 goto none\nr0 = *(u64 *)(r0 +0)\nexit\nnone:\nr0 = -1\nexit`;
    const p = prog(pc);
    const maps = p.maps.map((s) => createMap(s, { cpus: 2 }));
    maps[0]!.update(u32le(0), Uint8Array.from([...u64le(5n), ...u64le(9n)]));
    expect(new Vm(p, { maps, cpus: 2 }).run({ entry: 'mem' }).r0).toBe(9n);
    expect(S(new Vm(prog(pc)).run({ entry: 'mem' }).r0)).toBe(-1n); // only one CPU modelled: NULL
  });
  it('get_stack copies the modelled stack; boot clock and jiffies advance with the test clock', () => {
    const text = `r2 = r10\nr2 += -16\nr3 = 16\nr4 = 0\ncall bpf_get_stack\nr1 = *(u64 *)(r10 -8)\nr0 += r1\nexit`;
    expect(new Vm(prog(text, 'kprobe')).run({ kernelStack: [1n, 0x100n, 7n] }).r0).toBe(16n + 0x100n);
    expect(run('call bpf_ktime_get_boot_ns\nexit', { entry: 'mem', clock: new Clock({ monoNs: 10n, bootOffsetNs: 5n }) }).r0).toBe(15n);
    const j = run('call bpf_jiffies64\nr6 = r0\nexit', { entry: 'mem', clock: new Clock({ monoNs: 4_000_000_000n, hz: 250n }) }).r0;
    expect(j).toBe(4294937296n + 1000n);
  });
  it('skb_load_bytes_relative reads from the network header; probe_read_user uses the user address space', () => {
    const text = `.type sched_cls\nr2 = 9\nr3 = r10\nr3 += -8\nr4 = 1\nr5 = 1\ncall bpf_skb_load_bytes_relative\nr0 = *(u8 *)(r10 -8)\nexit`;
    expect(new Vm(prog(text)).run({ packet: udpPacket() }).r0).toBe(17n); // IP protocol: UDP
    const um = new AddressSpace().map(0x7f0000001000n, Uint8Array.from([42]));
    const u = `r1 = r10\nr1 += -8\nr2 = 1\nr3 = 0x7f0000001000 ll\ncall bpf_probe_read_user\nr0 = *(u8 *)(r10 -8)\nexit`;
    expect(run(u, { entry: 'mem', userMem: um }).r0).toBe(42n);
  });
});

/** Context layouts and access rules; ctx fields and packet helpers compared with the running kernel. */
import { describe, expect, it } from 'vitest';
import { ctxLayout, progTypeInfo, returnName, SK_BUFF_FIELDS } from '../../src/runtime/context/index.js';
import { kernelAvailable, runInKernel } from '../../src/kernel/index.js';
import type { Program } from '../../src/isa/program.js';
import { R0_MAP, captureR0 } from '../../src/vm/kernel-harness.js';
import { Vm } from '../../src/vm/index.js';
import { hex, prog, udpPacket } from './util.js';

describe('context layouts (is_valid_access)', () => {
  it('bpf_nf_ctx (netfilter): only whole, aligned reads of state and skb, as trusted kernel pointers', () => {
    const c = ctxLayout('netfilter')!;
    expect(c.size).toBe(16);
    expect(c.access(0, 8, 'read')).toMatchObject({ ok: true, pointer: 'btf_trusted', field: { name: 'state', btfStruct: 'nf_hook_state' } });
    expect(c.access(8, 8, 'read')).toMatchObject({ ok: true, pointer: 'btf_trusted', field: { name: 'skb', btfStruct: 'sk_buff' } });
    expect(c.access(0, 1, 'read').ok).toBe(false); // narrow
    expect(c.access(8, 2, 'read').ok).toBe(false);
    expect(c.access(4, 4, 'read').ok).toBe(false); // misaligned
    expect(c.access(16, 8, 'read').ok).toBe(false); // past the struct
    expect(c.access(0, 8, 'write').ok).toBe(false);
    expect(c.ldAbs).toBe(false);
  });
  it('bpf_sk_lookup and sk_reuseport_md: read-only, aligned; their socket fields become socket pointers', () => {
    const l = ctxLayout('sk_lookup')!;
    expect(l.size).toBe(72);
    expect(l.access(0, 8, 'read')).toMatchObject({ ok: true, pointer: 'socket_or_null' });
    expect(l.access(9, 1, 'read')).toMatchObject({ ok: true, fieldSize: 4 }); // family, narrow
    expect(l.access(36, 4, 'read').ok).toBe(true); // remote_port: 4 bytes kept for old programs
    expect(l.access(36, 2, 'read')).toMatchObject({ ok: true, fieldSize: 2 });
    expect(l.access(38, 2, 'read').ok).toBe(true); // zero padding
    expect(l.access(38, 4, 'read').ok).toBe(false);
    expect(l.access(68, 4, 'read').ok).toBe(false);
    expect(l.access(4, 8, 'read').ok).toBe(false);
    expect(l.access(8, 4, 'write').ok).toBe(false);
    const r = ctxLayout('sk_reuseport')!;
    expect(r.access(0, 8, 'read')).toMatchObject({ ok: true, pointer: 'packet' });
    expect(r.access(40, 8, 'read')).toMatchObject({ ok: true, pointer: 'socket' });
    expect(r.access(48, 8, 'read')).toMatchObject({ ok: true, pointer: 'sock_common_or_null' });
    expect(r.access(20, 1, 'read').ok).toBe(false); // eth_protocol: at least skb->protocol's 2 bytes
    expect(r.access(32, 2, 'read').ok).toBe(false); // hash: whole only
    expect(r.access(36, 4, 'read').ok).toBe(false); // padding before sk
  });
  it('the VM says it has no kernel object behind a netfilter skb rather than faulting', () => {
    const p: Program = prog('r2 = *(u64 *)(r1 +8)\nr0 = 1\nexit\n', 'netfilter');
    const r = new Vm(p).run({});
    expect(r.error?.kind).toBe('unsupported');
    expect(r.error?.message).toMatch(/no kernel object behind bpf_nf_ctx\.skb \(struct sk_buff\)/);
  });
  it('__sk_buff: socket filters read scalars, not packet pointers; write only cb[]', () => {
    const c = ctxLayout('socket_filter')!;
    expect(c.size).toBe(192);
    expect(c.access(0, 4, 'read')).toMatchObject({ ok: true, fieldSize: 4 });
    expect(c.access(2, 2, 'read').ok).toBe(true); // narrow load
    expect(c.access(1, 2, 'read').ok).toBe(false); // misaligned
    expect(c.access(76, 4, 'read').ok).toBe(false); // data
    expect(c.access(48, 4, 'write').ok).toBe(true); // cb[0]
    expect(c.access(8, 4, 'write').ok).toBe(false); // mark
  });
  it('__sk_buff for tc: data/data_end/data_meta become packet pointers; mark is writable', () => {
    const c = ctxLayout('sched_cls')!;
    expect(c.access(76, 4, 'read')).toMatchObject({ ok: true, pointer: 'packet' });
    expect(c.access(80, 4, 'read')).toMatchObject({ ok: true, pointer: 'packet_end' });
    expect(c.access(140, 4, 'read')).toMatchObject({ ok: true, pointer: 'packet_meta' });
    expect(c.access(76, 2, 'read').ok).toBe(false);
    expect(c.access(76, 4, 'read', { isLdsx: true }).ok).toBe(false);
    expect(c.access(8, 4, 'write').ok).toBe(true);
    expect(c.access(0, 4, 'write').ok).toBe(false);
    expect(c.access(168, 8, 'read')).toMatchObject({ ok: true, pointer: 'sock_common_or_null' });
  });
  it('xdp_md is read-only u32 fields; kprobe pt_regs read-only any aligned size', () => {
    const x = ctxLayout('xdp')!;
    expect(x.access(0, 4, 'read')).toMatchObject({ ok: true, pointer: 'packet' });
    expect(x.access(12, 4, 'read').ok).toBe(true);
    expect(x.access(12, 2, 'read').ok).toBe(false);
    expect(x.access(20, 4, 'read').ok).toBe(false); // egress_ifindex: devmap only
    expect(x.access(12, 4, 'write').ok).toBe(false);
    const k = ctxLayout('kprobe')!;
    expect(k.access(112, 8, 'read')).toMatchObject({ ok: true, field: { name: 'di' } });
    expect(k.access(112, 4, 'read').ok).toBe(true);
    expect(k.access(112, 8, 'write').ok).toBe(false);
    expect(k.access(168, 8, 'read').ok).toBe(false);
    expect(ctxLayout('tracepoint')!.access(0, 4, 'read').ok).toBe(false); // common fields hidden
    expect(ctxLayout('raw_tracepoint')!.access(88, 8, 'read').ok).toBe(true);
    expect(ctxLayout('perf_event')!.access(168, 8, 'read').ok).toBe(true);
  });
  it('return values have names per program type', () => {
    expect(returnName('xdp', 2n)).toBe('XDP_PASS');
    expect(returnName('sched_cls', 2n)).toBe('TC_ACT_SHOT');
    expect(returnName('sched_cls', 0xffffffffffffffffn)).toBe('TC_ACT_UNSPEC');
    expect(progTypeInfo('cgroup_skb')!.ret.verifierRange).toEqual({ min: 0, max: 1 });
  });
});

describe('ctx accesses on the VM', () => {
  it('a ctx field the program type may not access faults with ctx_access', () => {
    const r = new Vm(prog('r0 = *(u32 *)(r1 +76)\nexit')).run({ packet: udpPacket() });
    expect(r.fault?.toJSON()).toMatchObject({ kind: 'ctx_access', region: 'ctx', offset: 76, size: 4 });
    const w = new Vm(prog('.type xdp\nr2 = 1\n*(u32 *)(r1 +12) = r2\nr0 = 2\nexit')).run({ packet: udpPacket() });
    expect(w.fault?.kind).toBe('ctx_access');
  });
  it('reading past data_end without a bounds check faults on the packet region', () => {
    const r = new Vm(prog('.type xdp\nr2 = *(u32 *)(r1 +0)\nr0 = *(u8 *)(r2 +100)\nexit')).run({ packet: udpPacket() });
    expect(r.fault?.toJSON()).toMatchObject({ kind: 'out_of_bounds', region: 'packet', offset: 100, size: 1 });
  });
});

const avail = kernelAvailable();
if (!avail.ok) console.log(`skip: kernel comparisons of contexts and packet helpers: ${avail.reason}`);

function kernelRun(p: Program, packet: Uint8Array): { r0: bigint; packet: string } {
  const k = runInKernel(captureR0(p), { data: packet, logLevel: 1 });
  if (k.load.verdict !== 'accept') throw new Error(`kernel rejected: ${k.load.log.trim().split('\n').slice(-3).join(' | ')}`);
  const b = k.maps.find((m) => m.name === R0_MAP)!.entries[0]![1];
  return { r0: new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true), packet: hex(k.run!.dataOut!) };
}

function both(text: string, packet: Uint8Array, type: Program['type']) {
  const p = prog(text, type);
  const v = new Vm(p).run({ packet });
  expect(v.fault?.message ?? v.error?.message).toBeUndefined();
  return { vm: { r0: v.r0, packet: hex(v.packet!) }, kernel: kernelRun(p, packet) };
}

describe.skipIf(!avail.ok)('contexts and packet helpers agree with the kernel (BPF_PROG_TEST_RUN)', () => {
  it('every readable scalar __sk_buff field of a tc program has the kernel value', () => {
    const pkt = udpPacket();
    const skip = new Set(['data', 'data_end', 'data_meta', 'flow_keys', 'sk', 'tstamp', 'hwtstamp', 'tstamp_type', 'family', 'remote_ip4', 'local_ip4', 'remote_ip6', 'local_ip6', 'remote_port', 'local_port']);
    for (const f of SK_BUFF_FIELDS) {
      if (skip.has(f.name)) continue;
      for (let o = f.off; o < f.off + f.size; o += f.elem) {
        const r = both(`r0 = *(u32 *)(r1 +${o})\nexit`, pkt, 'sched_cls');
        expect(`${f.name}@${o}=${r.vm.r0}`).toBe(`${f.name}@${o}=${r.kernel.r0}`);
      }
    }
  });
  it('socket filter: len, protocol, pkt_type (broadcast and unicast destinations)', () => {
    const text = 'r2 = *(u32 *)(r1 +0)\nr3 = *(u32 *)(r1 +16)\nr0 = *(u32 *)(r1 +4)\nr0 <<= 16\nr0 |= r3\nr0 <<= 16\nr0 |= r2\nexit';
    const b = udpPacket();
    const u = udpPacket(); u.set([2, 0, 0, 0, 0, 1], 0);
    for (const pkt of [b, u]) { const r = both(text, pkt, 'socket_filter'); expect(r.vm.r0).toBe(r.kernel.r0); }
  });
  it('skb_load_bytes, skb_store_bytes, l3/l4_csum_replace and csum_diff', () => {
    const text = `
      r6 = r1
      r1 = r6
      r2 = 22
      r3 = r10
      r3 += -8
      r4 = 2
      call bpf_skb_load_bytes
      r7 = *(u16 *)(r10 -8)           ; ttl | proto << 8, as stored
      r8 = r7
      r8 += -1                        ; ttl - 1
      *(u16 *)(r10 -8) = r8
      r1 = r6
      r2 = 22
      r3 = r10
      r3 += -8
      r4 = 2
      r5 = 0
      call bpf_skb_store_bytes
      r1 = r6
      r2 = 24                         ; IP checksum
      r3 = r7
      r4 = r8
      r5 = 2
      call bpf_l3_csum_replace
      r9 = r0
      r1 = 0x3500
      *(u16 *)(r10 -16) = r1
      r1 = r6
      r2 = 36                         ; UDP dport
      r3 = r10
      r3 += -16
      r4 = 2
      r5 = 0
      call bpf_skb_store_bytes
      r1 = r6
      r2 = 40                         ; UDP checksum (0: left alone with MARK_MANGLED_0)
      r3 = 0x3500
      r4 = 0x3600
      r5 = 0x22
      call bpf_l4_csum_replace
      r9 += r0
      r1 = 0x1234567890abcdef ll
      *(u64 *)(r10 -24) = r1
      r1 = r10
      r1 += -24
      r2 = 8
      r3 = 0
      r4 = 0
      r5 = 0x77
      call bpf_csum_diff
      r0 <<= 8
      r0 += r9
      exit`;
    const r = both(text, udpPacket(), 'sched_cls');
    expect(r.vm).toEqual(r.kernel);
    const bad = both('r6 = r1\nr2 = 1000\nr3 = r10\nr3 += -8\nr4 = 8\ncall bpf_skb_load_bytes\nr1 = *(u64 *)(r10 -8)\nr0 <<= 8\nr0 |= r1\nexit', udpPacket(), 'sched_cls');
    expect(bad.vm).toEqual(bad.kernel);
  });
  it('xdp_adjust_head / adjust_tail move the packet; bad deltas give -EINVAL', () => {
    const text = `
      r6 = r1
      r1 = r6
      r2 = -4
      call bpf_xdp_adjust_head
      r7 = r0
      r2 = *(u32 *)(r6 +4)
      r1 = *(u32 *)(r6 +0)
      r3 = r1
      r3 += 4
      if r3 > r2 goto out
      r4 = 0xdeadbeef
      *(u32 *)(r1 +0) = r4
      r1 = r6
      r2 = -6
      call bpf_xdp_adjust_tail
      r7 <<= 8
      r7 |= r0
      r1 = r6
      r2 = -4000
      call bpf_xdp_adjust_head
      r7 <<= 8
      r7 |= r0
      r1 = r6
      r2 = 5000
      call bpf_xdp_adjust_tail
      r7 <<= 8
      r7 |= r0
    out:
      r0 = r7
      exit`;
    const r = both(text, udpPacket(), 'xdp');
    expect(r.vm).toEqual(r.kernel);
  });
  it('skb_change_tail, skb_pull_data, clone_redirect', () => {
    const text = `
      r6 = r1
      r1 = r6
      r2 = 58
      r3 = 0
      call bpf_skb_change_tail
      r7 = r0
      r1 = r6
      r2 = 40
      r3 = 0
      call bpf_skb_change_tail
      r7 <<= 8
      r7 |= r0
      r1 = r6
      r2 = 1000
      call bpf_skb_pull_data
      r7 <<= 8
      r7 |= r0
      r1 = r6
      r2 = 1
      r3 = 0
      call bpf_clone_redirect
      r7 <<= 8
      r7 |= r0
      r1 = r6
      r2 = 7
      r3 = 0
      call bpf_clone_redirect
      r7 <<= 8
      r7 |= r0
      r0 = r7
      exit`;
    const r = both(text, udpPacket(), 'sched_cls');
    expect(r.vm).toEqual(r.kernel);
  });
  it('bpf_redirect from tc and xdp', () => {
    for (const [type, text] of [['sched_cls', 'r1 = 1\nr2 = 0\ncall bpf_redirect\nexit'], ['xdp', 'r1 = 1\nr2 = 0\ncall bpf_redirect\nexit'], ['xdp', 'r1 = 1\nr2 = 8\ncall bpf_redirect\nexit']] as const) {
      const r = both(text, udpPacket(), type);
      expect(r.vm.r0).toBe(r.kernel.r0);
    }
  });
});

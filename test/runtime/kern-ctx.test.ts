/**
 * bpf_cast_to_kern_ctx on the VM: the kernel's context object (struct sk_buff for tc, struct
 * xdp_buff for XDP) with the fields the run backs, as the running kernel has them in
 * BPF_PROG_TEST_RUN (test/fixtures/btf-typed/kern_ctx.c reads each field into a map).
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { kernelAvailable, runInKernel } from '../../src/kernel/index.js';
import { loadFile } from '../../src/loader/index.js';
import { vmEngine, jitEngine, loadJit, materialize, type Engine } from '../../src/fuzz/index.js';
import type { Program } from '../../src/isa/program.js';

const dir = new URL('../fixtures/btf-typed/', import.meta.url);
const haveBtf = existsSync('/sys/kernel/btf/vmlinux');
if (!haveBtf) console.log('skip bpf_cast_to_kern_ctx runs: no /sys/kernel/btf/vmlinux');
const k = kernelAvailable();
if (!k.ok) console.log(`bpf_cast_to_kern_ctx: no kernel comparison (${k.reason})`);

/** A 48-byte IPv4/TCP frame. */
const PACKET = Uint8Array.from(Buffer.from('000102030405060708090a0b08004500002800010000400600000a0000010a000002303900500000006610d4bb56be54', 'hex'));

const u64 = (hex: string): bigint => Buffer.from(hex, 'hex').readBigUInt64LE(0);
const u32 = (hex: string): number => Buffer.from(hex, 'hex').readUInt32LE(0);

/** The `out` map after a run on `engine`: field index -> value (every slot of the array; the program fills the first ones). */
function fields(engine: Engine, p: Program): bigint[] {
  const r = engine(p, materialize(p, { packet: PACKET, ctx: new Uint8Array(0), maps: [], seed: 1 }), { maxSteps: 100_000 });
  if (!r.ok) throw new Error(r.reason);
  expect(r.res.fault ?? null).toBeNull();
  const out: bigint[] = [];
  for (const line of r.maps) {
    const m = /^out ([0-9a-f]+)=([0-9a-f]+)$/.exec(line);
    if (m) out[u32(m[1]!)] = u64(m[2]!);
  }
  return out;
}

function kernelFields(p: Program): bigint[] {
  const r = runInKernel(p, { data: PACKET, logLevel: 0 });
  expect(r.load.verdict, r.load.log.slice(-300)).toBe('accept');
  const out: bigint[] = [];
  for (const [key, value] of r.maps.find((m) => m.name === 'out')!.entries) out[u32(Buffer.from(key).toString('hex'))] = u64(Buffer.from(value).toString('hex'));
  return out;
}

describe.skipIf(!haveBtf)('bpf_cast_to_kern_ctx', () => {
  const programs = haveBtf ? loadFile('kern_ctx.o', new Uint8Array(readFileSync(new URL('kern_ctx.o', dir)))) : Promise.resolve([]);
  const prog = async (name: string): Promise<Program> => (await programs).find((p) => p.name === name)!;

  test('tc: the sk_buff has the run\'s length, mark, protocol, buffer offsets and headers; VM and JIT agree', async () => {
    const p = await prog('kern_skb_fields');
    const vm = fields(vmEngine, p).slice(0, 13);
    // len, data_len, mark (written through __sk_buff first), protocol (htons(ETH_P_IP)), priority, queue_mapping,
    // data - head (NET_SKB_PAD), tail, mac/network headers, transport header unset, hash, tc_index
    expect(vm).toEqual([48n, 0n, 7n, 8n, 0n, 0n, 64n, 112n, 64n, 78n, 0xffffn, 0n, 0n]);
    const jit = await loadJit();
    if (typeof jit !== 'string') expect(fields(jitEngine(jit), p).slice(0, 13)).toEqual(vm);
    if (k.ok) expect(kernelFields(p).slice(0, 13)).toEqual(vm);
  });

  test('xdp: the xdp_buff has the packet, its headroom, the frame size and no flags', async () => {
    const p = await prog('kern_xdp_fields');
    const vm = fields(vmEngine, p).slice(0, 5);
    expect(vm).toEqual([48n, 256n, 0n, 4096n, 0n]);
    if (k.ok) expect(kernelFields(p).slice(0, 5)).toEqual(vm);
  });
});

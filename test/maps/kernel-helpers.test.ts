/**
 * Program-side map operations compared with the kernel's helpers: the same calls made by a
 * loaded program (BPF_PROG_TEST_RUN, r0 = the helper's return) and through bpflab's
 * updateFromProgram / deleteFromProgram / push / pop / ringbuf output, on maps in the same state.
 */
import { describe, expect, it } from 'vitest';
import type { Insn } from '../../src/isa/insn.js';
import { ldImm64 } from '../../src/isa/insn.js';
import type { MapSpec, Program } from '../../src/isa/program.js';
import { KernelMap, closeFd, kernelAvailable, mapCreate, progLoad, progTestRun } from '../../src/kernel/index.js';
import { BPF_F_NO_PREALLOC, createMap, type QueueStackMap, type RingBufMap } from '../../src/runtime/maps/index.js';
import { spec, u32 } from './util.js';

const avail = kernelAvailable();
if (!avail.ok) console.log(`skipping kernel helper comparisons: ${avail.reason}`);

const I = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn => ({ code, dst, src, off, imm });
const EXIT = I(0x95);
/** *(u32 *)(r10 + off) = imm */
const st32 = (off: number, imm: number): Insn => I(0x62, 10, 0, off, imm);
/** rD = r10 + off */
const fp = (d: number, off: number): Insn[] => [I(0xbf, d, 10), I(0x07, d, 0, 0, off)];
const call = (id: number): Insn => I(0x85, 0, 0, 0, id);
const mov = (d: number, imm: number): Insn => I(0xb7, d, 0, 0, imm);

/** Key (u32 at fp-4, or 8 bytes at fp-8 for lpm keys) and value (8 bytes at fp-16) set up on the stack. */
function frame(key: Uint8Array, value: Uint8Array): Insn[] {
  const k = new DataView(new Uint8Array([...key, 0, 0, 0, 0, 0, 0, 0, 0].slice(0, 8)).buffer);
  const v = new DataView(new Uint8Array([...value, 0, 0, 0, 0, 0, 0, 0, 0].slice(0, 8)).buffer);
  return [st32(-8, k.getInt32(0, true)), st32(-4, k.getInt32(4, true)), st32(-16, v.getInt32(0, true)), st32(-12, v.getInt32(4, true))];
}

type Call =
  | { op: 'update'; key: Uint8Array; value: Uint8Array; flags: number }
  | { op: 'delete'; key: Uint8Array }
  | { op: 'push'; value: Uint8Array; flags: number }
  | { op: 'pop' }
  | { op: 'peek' }
  | { op: 'output'; value: Uint8Array; size: number; flags: number };

function programFor(c: Call, m: MapSpec): Program {
  const keyOff = m.keySize > 4 || m.keySize === 0 ? -8 : -8; // keys always start at fp-8
  let body: Insn[];
  switch (c.op) {
    case 'update':
      body = [...frame(c.key, c.value), ...ldImm64(1, 0n, 1), ...fp(2, keyOff), ...fp(3, -16), mov(4, c.flags), call(2)];
      break;
    case 'delete':
      body = [...frame(c.key, new Uint8Array(0)), ...ldImm64(1, 0n, 1), ...fp(2, keyOff), call(3)];
      break;
    case 'push':
      body = [...frame(new Uint8Array(0), c.value), ...ldImm64(1, 0n, 1), ...fp(2, -16), mov(3, c.flags), call(87)];
      break;
    case 'pop':
    case 'peek':
      body = [...frame(new Uint8Array(0), new Uint8Array(0)), ...ldImm64(1, 0n, 1), ...fp(2, -16), call(c.op === 'pop' ? 88 : 89)];
      break;
    case 'output':
      body = [...frame(new Uint8Array(0), c.value), ...ldImm64(1, 0n, 1), ...fp(2, -16), mov(3, c.size), mov(4, c.flags), call(130)];
      break;
  }
  return { name: 'helper_cmp', section: '', type: 'socket_filter', insns: [...body, EXIT], maps: [m], license: 'GPL' };
}

function kernelCall(km: KernelMap, c: Call): number {
  const load = progLoad(programFor(c, km.spec), { logLevel: 0, maps: [km] });
  if (load.fd === null) throw new Error(`kernel rejected the ${c.op} program: ${load.log}`);
  try {
    return progTestRun(load.fd, { data: new Uint8Array(64) }).retval | 0;
  } finally {
    closeFd(load.fd);
  }
}

function bpflabCall(m: ReturnType<typeof createMap>, c: Call): number {
  const key8 = (k: Uint8Array) => k.subarray(0, m.spec.keySize);
  switch (c.op) {
    case 'update':
      return m.updateFromProgram(key8(c.key), c.value.subarray(0, m.spec.valueSize), c.flags, 0);
    case 'delete':
      return m.deleteFromProgram(key8(c.key), 0);
    case 'push':
      return (m as QueueStackMap).pushFromProgram(c.value.subarray(0, m.spec.valueSize), c.flags);
    case 'pop':
      return (m as QueueStackMap).popFromProgram(new Uint8Array(m.spec.valueSize));
    case 'peek':
      return (m as QueueStackMap).peekFromProgram(new Uint8Array(m.spec.valueSize));
    case 'output':
      return (m as RingBufMap).output(c.value.subarray(0, c.size), c.flags);
  }
}

function compare(s: MapSpec, calls: Call[]): void {
  const mine = createMap(s);
  const km = mapCreate(s);
  try {
    calls.forEach((c, i) => {
      const k = kernelCall(km, c);
      const b = bpflabCall(mine, c);
      expect(b, `call ${i} ${c.op} flags=${'flags' in c ? c.flags : '-'}: bpflab ${b}, kernel helper ${k}`).toBe(k);
    });
  } finally {
    km.close();
  }
}

const v8 = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
const up = (key: number, flags = 0): Call => ({ op: 'update', key: u32(key), value: v8, flags });
const del = (key: number): Call => ({ op: 'delete', key: u32(key) });

describe.skipIf(!avail.ok)('program-side map operations vs kernel helpers', () => {
  it('array: bpf_map_update_elem / delete_elem return codes', () => {
    compare(spec('array', 4, 8, 2), [up(0), up(1, 2), up(2), up(0, 1), up(0, 3), up(0, 4), del(0), del(5)]);
  });

  it('hash: full map, NOEXIST / EXIST, delete of a missing key', () => {
    compare(spec('hash', 4, 8, 2), [up(1, 2), up(1, 1), up(1, 1), up(2), up(3), up(2, 0), up(3, 2), del(3), del(1), up(3), up(1, 5)]);
  });

  it('lru_hash: flags and delete (far from full: when the kernel evicts depends on its per-CPU free lists)', () => {
    compare(spec('lru_hash', 4, 8, 64), [up(1), up(2), up(3), up(4), up(1, 1), up(9, 2), up(2, 2), del(7), del(2), up(1, 3)]);
  });

  it('lpm_trie: updates and deletes of prefixes', () => {
    const k = (len: number, a: number): Uint8Array => Uint8Array.of(len, 0, 0, 0, a, 0, 0, 0);
    const s = spec('lpm_trie', 8, 8, 2, BPF_F_NO_PREALLOC);
    compare(s, [
      { op: 'update', key: k(8, 10), value: v8, flags: 0 },
      { op: 'update', key: k(8, 10), value: v8, flags: 1 },
      { op: 'update', key: k(16, 10), value: v8, flags: 2 },
      { op: 'update', key: k(16, 10), value: v8, flags: 0 },
      { op: 'update', key: k(24, 10), value: v8, flags: 0 },
      { op: 'update', key: k(33, 10), value: v8, flags: 0 },
      { op: 'delete', key: k(12, 10) },
      { op: 'delete', key: k(8, 10) },
    ]);
  });

  it('queue and stack: push / pop / peek return codes', () => {
    for (const type of ['queue', 'stack'] as const) {
      const push = (flags: number): Call => ({ op: 'push', value: v8, flags });
      compare(spec(type, 0, 8, 2), [{ op: 'pop' }, { op: 'peek' }, push(0), push(0), push(0), push(2), push(1), push(3), { op: 'peek' }, { op: 'pop' }, { op: 'pop' }, { op: 'pop' }]);
    }
  });

  it('ringbuf: bpf_ringbuf_output flags and space', () => {
    const out = (size: number, flags: number): Call => ({ op: 'output', value: v8, size, flags });
    compare(spec('ringbuf', 0, 0, 4096), [out(8, 0), out(8, 1), out(8, 2), out(8, 3), out(8, 4), out(1, 0)]);
  });
});

import { describe, expect, it } from 'vitest';
import type { Insn } from '../../src/isa/insn.js';
import { ldImm64 } from '../../src/isa/insn.js';
import type { MapSpec, Program } from '../../src/isa/program.js';
import {
  KernelError,
  closeFd,
  kernelAvailable,
  mapCreate,
  possibleCpus,
  progLoad,
  progTestRun,
  runInKernel,
} from '../../src/kernel/index.js';

const avail = kernelAvailable();
if (!avail.ok) console.log(`skipping live-kernel tests: ${avail.reason}`);

const I = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn => ({ code, dst, src, off, imm });
const EXIT = I(0x95);
const prog = (insns: Insn[], maps: MapSpec[] = [], type: Program['type'] = 'socket_filter'): Program => ({
  name: 'test',
  section: '',
  type,
  insns,
  maps,
  license: 'GPL',
});
const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);
const u64 = (n: bigint): Uint8Array => new Uint8Array(new BigUint64Array([n]).buffer);

describe.skipIf(!avail.ok)('live kernel bpf()', () => {
  it('loads and runs a program returning 42', () => {
    const load = progLoad(prog([I(0xb7, 0, 0, 0, 42), EXIT]));
    expect(load.verdict).toBe('accept');
    expect(load.fd).not.toBeNull();
    expect(load.processed).toBe(2);
    try {
      const run = progTestRun(load.fd!, { data: new Uint8Array(64), repeat: 3 });
      expect(run.retval).toBe(42);
      expect(run.dataOut?.length).toBe(64);
    } finally {
      closeFd(load.fd!);
    }
  });

  it('runs an XDP program through runInKernel and returns the modified packet', () => {
    // r2 = *(u32 *)(r1 +0) data; r3 = *(u32 *)(r1 +4) data_end; if r2 + 1 > r3 goto out; *(u8 *)(r2 +0) = 0xab; out: r0 = 2 (XDP_PASS)
    const insns = [
      I(0x61, 2, 1, 0, 0),
      I(0x61, 3, 1, 4, 0),
      I(0xbf, 4, 2),
      I(0x07, 4, 0, 0, 1),
      I(0x2d, 4, 3, 1, 0),
      I(0x72, 2, 0, 0, 0xab),
      I(0xb7, 0, 0, 0, 2),
      EXIT,
    ];
    const r = runInKernel(prog(insns, [], 'xdp'), { data: new Uint8Array(20) });
    expect(r.load.verdict).toBe('accept');
    expect(r.run?.retval).toBe(2);
    expect(r.run?.dataOut?.[0]).toBe(0xab);
    expect(r.run?.dataOut?.length).toBe(20);
  });

  it('gives the verifier log of a rejected program', () => {
    // reads r2 before it is written
    const load = progLoad(prog([I(0xbf, 0, 2), EXIT]));
    expect(load.verdict).toBe('reject');
    expect(load.fd).toBeNull();
    expect(load.errno).toBe('EACCES');
    expect(load.log).toContain('R2 !read_ok');
    // level 0 still carries the error message
    const quiet = progLoad(prog([I(0xbf, 0, 2), EXIT]), { logLevel: 0 });
    expect(quiet.log).toContain('R2 !read_ok');
    expect(quiet.log).not.toContain('0: (bf)');
  });

  it('grows the log buffer on ENOSPC', () => {
    const insns: Insn[] = [I(0xb7, 0, 0, 0, 0)];
    for (let i = 0; i < 200; i++) insns.push(I(0x07, 0, 0, 0, 1));
    insns.push(EXIT);
    const load = progLoad(prog(insns), { logLevel: 2, logSize: 256 });
    expect(load.verdict).toBe('accept');
    expect(load.log.length).toBeGreaterThan(256);
    expect(load.processed).toBe(202);
    closeFd(load.fd!);
  });

  it('round-trips a hash map and reports kernel errnos', () => {
    const m = mapCreate({ name: 'h', type: 'hash', keySize: 4, valueSize: 8, maxEntries: 2, flags: 0 });
    try {
      m.update(u32(1), u64(7n));
      expect(m.lookup(u32(1))).toEqual(u64(7n));
      expect(() => m.update(u32(1), u64(8n), 1)).toThrow(KernelError);
      m.update(u32(2), u64(9n));
      let err: unknown;
      try {
        m.update(u32(3), u64(1n));
      } catch (e) {
        err = e;
      }
      expect((err as KernelError).errno).toBe('E2BIG');
      expect(m.entries().length).toBe(2);
      m.delete(u32(1));
      expect(() => m.lookup(u32(1))).toThrow(/ENOENT/);
    } finally {
      m.close();
    }
  });

  it('reads per-CPU values padded to 8 bytes per CPU', () => {
    const m = mapCreate({ name: 'pc', type: 'percpu_array', keySize: 4, valueSize: 4, maxEntries: 1, flags: 0 });
    try {
      expect(m.lookup(u32(0)).length).toBe(8 * possibleCpus());
    } finally {
      m.close();
    }
  });

  it('patches map references and lets the program update a map', () => {
    // key = 0 on stack; r0 = lookup(map, &key); if r0 == 0 exit; *(u64 *)(r0+0) += 5 (atomic); r0 = 1
    const insns = [
      I(0x62, 10, 0, -4, 0),
      I(0xbf, 2, 10),
      I(0x07, 2, 0, 0, -4),
      ...ldImm64(1, 0n, 1),
      I(0x85, 0, 0, 0, 1),
      I(0x15, 0, 0, 3, 0),
      I(0xb7, 1, 0, 0, 5),
      I(0xdb, 0, 1, 0, 0),
      I(0xb7, 0, 0, 0, 1),
      EXIT,
    ];
    const spec: MapSpec = { name: 'counter', type: 'array', keySize: 4, valueSize: 8, maxEntries: 1, flags: 0 };
    const r = runInKernel(prog(insns, [spec]), {
      data: new Uint8Array(64),
      fill: [{ map: 'counter', key: u32(0), value: u64(10n) }],
      repeat: 1,
    });
    expect(r.load.verdict).toBe('accept');
    expect(r.run?.retval).toBe(1);
    expect(r.maps[0]?.entries[0]?.[1]).toEqual(u64(15n));
  });

  it('installs tail-call targets in a prog_array', () => {
    const pa: MapSpec = { name: 'jmp', type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 2, flags: 0 };
    // r1 = ctx (kept); r2 = map; r3 = 1; call bpf_tail_call; r0 = 7; exit
    const caller = prog([...ldImm64(2, 0n, 1), I(0xb7, 3, 0, 0, 1), I(0x85, 0, 0, 0, 12), I(0xb7, 0, 0, 0, 7), EXIT], [pa]);
    const target = prog([I(0xb7, 0, 0, 0, 99), EXIT], [pa]);
    const hit = runInKernel(caller, { data: new Uint8Array(64), tailCalls: [{ map: 'jmp', index: 1, program: target }] });
    expect(hit.load.verdict).toBe('accept');
    expect(hit.run?.retval).toBe(99);
    const miss = runInKernel(caller, { data: new Uint8Array(64) });
    expect(miss.run?.retval).toBe(7);
  });

  it('rejects keys of the wrong size before calling the kernel', () => {
    const m = mapCreate({ name: 'h', type: 'hash', keySize: 8, valueSize: 8, maxEntries: 2, flags: 0 });
    try {
      expect(() => m.update(u32(1), u64(1n))).toThrow(/key is 4 bytes/);
    } finally {
      m.close();
    }
  });
});

import { describe, expect, it } from 'vitest';
import { createMap } from '../../src/runtime/maps/create.js';
import type { ProgArrayMap } from '../../src/runtime/maps/types.js';
import { Vm, runProgram } from '../../src/vm/index.js';
import { prog } from '../runtime/util.js';

const r0 = (text: string): bigint => {
  const r = runProgram(prog(text), { entry: 'mem' });
  expect(r.fault ?? r.error).toBeUndefined();
  return r.r0;
};
const U = (v: bigint): bigint => BigInt.asUintN(64, v);

describe('ALU edge cases, bit-exact with the kernel', () => {
  it('division by zero gives 0; modulo by zero leaves dst (32-bit: zero-extended)', () => {
    expect(r0('r0 = -1\nr1 = 0\nr0 /= r1\nexit')).toBe(0n);
    expect(r0('r0 = -1\nr1 = 0\nr0 %= r1\nexit')).toBe(U(-1n));
    expect(r0('r0 = -1\nr1 = 0\nw0 %= w1\nexit')).toBe(0xffffffffn);
    expect(r0('r0 = -1\nr1 = 0\nw0 /= w1\nexit')).toBe(0n);
    expect(r0('r0 = -7\nr1 = 0\nr0 s/= r1\nexit')).toBe(0n);
    expect(r0('r0 = -7\nr1 = 0\nr0 s%= r1\nexit')).toBe(U(-7n));
  });
  it('signed division of INT_MIN by -1 gives INT_MIN; modulo 0', () => {
    expect(r0('r0 = 0x8000000000000000 ll\nr1 = -1\nr0 s/= r1\nexit')).toBe(0x8000000000000000n);
    expect(r0('r0 = 0x8000000000000000 ll\nr1 = -1\nr0 s%= r1\nexit')).toBe(0n);
    expect(r0('w0 = 0x80000000\nw1 = -1\nw0 s/= w1\nexit')).toBe(0x80000000n);
    expect(r0('w0 = 0x80000000\nw1 = -1\nw0 s%= w1\nexit')).toBe(0n);
    expect(r0('r0 = -7\nr0 s/= 2\nexit')).toBe(U(-3n));
    expect(r0('r0 = -7\nr0 s%= 2\nexit')).toBe(U(-1n));
  });
  it('shift amounts are masked to the operand width', () => {
    expect(r0('r0 = 1\nr1 = 65\nr0 <<= r1\nexit')).toBe(2n);
    expect(r0('w0 = 1\nw1 = 33\nw0 <<= w1\nexit')).toBe(2n);
    expect(r0('r0 = -1\nr1 = 64\nr0 s>>= r1\nexit')).toBe(U(-1n));
    expect(r0('r0 = 0x8000000000000000 ll\nr0 s>>= 63\nexit')).toBe(U(-1n));
    expect(r0('w0 = 0x80000000\nw0 s>>= 31\nexit')).toBe(0xffffffffn);
  });
  it('32-bit operations zero-extend', () => {
    expect(r0('r0 = -1\nw0 += 1\nexit')).toBe(0n);
    expect(r0('r0 = -1\nw0 = w0\nexit')).toBe(0xffffffffn);
    expect(r0('r0 = 5\nw0 = -w0\nexit')).toBe(0xfffffffbn);
  });
  it('sign extensions, byte swaps and 64-bit multiply', () => {
    expect(r0('r1 = 0x80\nr0 = (s8)r1\nexit')).toBe(U(-128n));
    expect(r0('r1 = 0x8000\nw0 = (s16)w1\nexit')).toBe(0xffff8000n);
    expect(r0('r1 = 0x80000000\nr0 = (s32)r1\nexit')).toBe(U(-0x80000000n));
    expect(r0('r0 = 0x0102030405060708 ll\nr0 = be64 r0\nexit')).toBe(0x0807060504030201n);
    expect(r0('r0 = 0x0102030405060708 ll\nr0 = be16 r0\nexit')).toBe(0x0807n);
    expect(r0('r0 = 0x0102030405060708 ll\nr0 = le32 r0\nexit')).toBe(0x05060708n);
    expect(r0('r0 = 0x0102030405060708 ll\nr0 = bswap32 r0\nexit')).toBe(0x08070605n);
    expect(r0('r0 = 0xffffffffffffffff ll\nr1 = 0xffffffffffffffff ll\nr0 *= r1\nexit')).toBe(1n);
    expect(r0('r0 = 0x123456789 ll\nr1 = 0x987654321 ll\nr0 *= r1\nexit')).toBe(U(0x123456789n * 0x987654321n));
  });
  it('sign-extending loads and atomics on the stack', () => {
    expect(r0('r1 = 0xff80\n*(u16 *)(r10 -2) = r1\nr0 = *(s16 *)(r10 -2)\nexit')).toBe(U(-128n));
    expect(r0('r1 = 5\n*(u64 *)(r10 -8) = r1\nr2 = 3\nr2 = atomic64_fetch_add((u64 *)(r10 -8), r2)\nr0 = *(u64 *)(r10 -8)\nr0 <<= 8\nr0 |= r2\nexit')).toBe(0x805n);
    expect(r0('r1 = 5\n*(u64 *)(r10 -8) = r1\nr0 = 5\nr2 = 9\nr0 = atomic64_cmpxchg((u64 *)(r10 -8), r0, r2)\nr1 = *(u64 *)(r10 -8)\nr0 <<= 8\nr0 |= r1\nexit')).toBe(0x509n);
  });
});

describe('control flow', () => {
  it('bpf-to-bpf calls get separate stack frames and restore r6-r9', () => {
    const text = `
      r6 = 6
      r1 = 1
      *(u64 *)(r10 -8) = r1
      call f
      r0 += r6
      r1 = *(u64 *)(r10 -8)
      r0 += r1
      exit
    f:
      r6 = 100
      r2 = 50
      *(u64 *)(r10 -8) = r2
      r0 = *(u64 *)(r10 -8)
      exit`;
    const r = runProgram(prog(text), { entry: 'mem' });
    expect(r.r0).toBe(57n);
    expect(r.maxDepth).toBe(1);
  });
  it('stops at 8 frames (the kernel: MAX_CALL_FRAMES)', () => {
    const r = runProgram(prog('call f\nexit\nf:\ncall f\nexit'), { entry: 'mem' });
    expect(r.error?.kind).toBe('call_depth');
  });
  it('stops at the step limit with a clear error', () => {
    const r = runProgram(prog('l:\ngoto l\nexit'), { entry: 'mem' }, { maxSteps: 1000 });
    expect(r.error?.kind).toBe('step_limit');
    expect(r.error?.message).toMatch(/step limit of 1000/);
  });
  it('tail calls replace the program, at most 33 times', () => {
    const text = `.map jt prog_array key=4 value=4 entries=2
      r6 = r1
      r1 = r6
      r2 = map[jt]
      r3 = 0
      call bpf_tail_call
      r0 = 77
      exit`;
    const p = prog(text);
    const maps = p.maps.map((s) => createMap(s));
    (maps[0] as ProgArrayMap).setProgram(0, p); // calls itself until the counter runs out
    const vm = new Vm(p, { maps });
    const r = vm.run({ packet: new Uint8Array(64) });
    expect(r.r0).toBe(77n);
    expect(r.tailCalls).toBe(33);
    const other = prog('r0 = 5\nexit');
    (maps[0] as ProgArrayMap).setProgram(0, other);
    expect(vm.run({ packet: new Uint8Array(64) }).r0).toBe(5n);
    (maps[0] as ProgArrayMap).setProgram(0, null);
    expect(vm.run({ packet: new Uint8Array(64) }).r0).toBe(77n);
  });
  it('a pointer used as the tail call index is its kernel address, never a small slot number', () => {
    // verifier_unpriv/pass_pointer_to_tail_call: index = (u32)ctx, out of range in the kernel
    const p = prog(`.map jt prog_array key=4 value=4 entries=4\nr3 = r1\nr2 = map[jt]\ncall bpf_tail_call\nr0 = 0\nexit`);
    const maps = p.maps.map((s) => createMap(s));
    for (let i = 0; i < 4; i++) (maps[0] as ProgArrayMap).setProgram(i, prog('r0 = 42\nexit'));
    const r = new Vm(p, { maps }).run({ packet: new Uint8Array(64) });
    expect([r.r0, r.tailCalls]).toEqual([0n, 0]);
  });
  it('LD_ABS / LD_IND read big-endian packet bytes; a short packet returns 0', () => {
    // tc programs see the frame from the MAC header on (socket filters in test runs start after it)
    const p = prog('r6 = r1\nr0 = *(u16 *)skb[12]\nexit', 'sched_cls');
    const pkt = new Uint8Array(20); pkt[12] = 0x08; pkt[13] = 0x06;
    expect(runProgram(p, { packet: pkt }).r0).toBe(0x0806n);
    const q = prog('r6 = r1\nr7 = 18\nr0 = *(u32 *)skb[r7 + 0]\nr0 = 9\nexit', 'sched_cls');
    expect(runProgram(prog('r6 = r1\nr0 = *(u8 *)skb[0]\nexit'), { packet: pkt }).r0).toBe(BigInt(pkt[14]!));
    const r = runProgram(q, { packet: pkt });
    expect([r.r0, r.ldAbsExit]).toEqual([0n, 2]);
  });
  it('calls the onStep hook before every instruction with the registers', () => {
    const seen: string[] = [];
    const vm = new Vm(prog('r0 = 1\nr0 += 2\nexit'), { onStep: (pc, regs) => seen.push(`${pc}:${regs[0]}`) });
    expect(vm.run({ entry: 'mem' }).r0).toBe(3n);
    expect(seen).toEqual(['0:0', '1:1', '2:3']);
  });
  it('reports a memory fault with pc, region, offset and size', () => {
    const r = runProgram(prog('r0 = *(u64 *)(r10 -520)\nexit'), { entry: 'mem' });
    expect(r.fault?.toJSON()).toEqual({ pc: 0, kind: 'out_of_bounds', region: 'stack', offset: -520, size: 8 });
  });
});

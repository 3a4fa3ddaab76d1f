/**
 * Load-acquire and store-release (BPF_ATOMIC imm BPF_LOAD_ACQ / BPF_STORE_REL, Linux 6.15):
 * check_atomic_load judges the address type (atomic_ptr_type_ok) and then checks the load as
 * BPF_LDX does; check_atomic_store checks the store as BPF_STX does and then the address type.
 * Both enforce natural alignment. The VM and the JIT run them as the plain load and store (one
 * CPU), with the kernel's results. Compared with the running kernel when it is there.
 */
import { describe, expect, test } from 'vitest';
import { Jit } from '../../src/jit/index.js';
import { closeFd, kernelAvailable, progLoad, runInKernel } from '../../src/kernel/index.js';
import { verify } from '../../src/verifier/index.js';
import { runProgram } from '../../src/vm/index.js';
import { prog } from '../runtime/util.js';
import { expectVerdict, kernelCompared, type Expected } from './expect-verdicts.js';

const k = kernelAvailable();
kernelCompared('load-acquire and store-release');

const PKT8 = 'r2 = *(u32 *)(r1 +0)\nr3 = *(u32 *)(r1 +4)\nr4 = r2\nr4 += 8\nif r4 > r3 goto +2\nr5 = 3';
const MAP_VALUE = '.map m array key=4 value=16 entries=1\nr1 = 0\n*(u32 *)(r10 -4) = r1\nr2 = r10\nr2 += -4\nr1 = map[m]\ncall 1\nif r0 == 0 goto +4\nr3 = 7';

const CASES: Array<[string, string, Expected]> = [
  ['u16 load-acquire of a spilled constant', 'r1 = 0x1234567\n*(u64 *)(r10 -8) = r1\nr2 = r10\nr2 += -8\nr0 = load_acquire((u16 *)(r2 +0))\nexit', ['accept']],
  ['load-acquire from the context', 'r0 = load_acquire((u64 *)(r1 +0))\nexit', ['reject', 'BPF_ATOMIC loads from R1 ctx is not allowed']],
  ['misaligned map-value load-acquire', `${MAP_VALUE}\nstore_release((u64 *)(r0 +8), r3)\nr0 = load_acquire((u64 *)(r0 +4))\nexit\nr0 = 0\nexit`, ['reject', 'misaligned value access off 0+0+4 size 8']],
  ['store-release reads its value first', 'store_release((u64 *)(r3 +0), r4)\nexit', ['reject', 'R4 !read_ok']],
  ['store-release checks the context access before the type', 'r4 = 1\nstore_release((u64 *)(r1 +0), r4)\nexit', ['reject', 'invalid bpf_context access off=0 size=8']],
  ['store-release into a writable context field', 'r4 = 1\nstore_release((u32 *)(r1 +48), r4)\nr0 = 0\nexit', ['reject', 'BPF_ATOMIC stores into R1 ctx is not allowed']],
  ['misaligned stack store-release', 'r4 = 1\nstore_release((u64 *)(r10 -4), r4)\nexit', ['reject', 'misaligned stack access off 0+0+-4 size 8']],
  ['a u8 load-acquire is bounded by 0xff', 'r1 = -1\n*(u64 *)(r10 -8) = r1\nr0 = load_acquire((u8 *)(r10 -8))\nif r0 > 0xff goto +1\nexit\nr0 = *(u32 *)(r0 +0)\nexit', ['accept']],
];

const XDP_CASES: Array<[string, string, Expected]> = [
  ['packet store-release', `${PKT8}\nstore_release((u64 *)(r2 +0), r5)\nr0 = 2\nexit`, ['reject', 'misaligned packet access off 2+0+0+0 size 8']],
  ['packet load-acquire', `${PKT8}\nr0 = load_acquire((u8 *)(r2 +0))\nr0 = 2\nexit`, ['reject', 'BPF_ATOMIC loads from R2 pkt is not allowed']],
];

describe('load-acquire and store-release', () => {
  test('verdicts and messages; the kernel agrees', () => {
    for (const [name, text, want] of CASES) expectVerdict({ ...prog(text), name }, want);
    for (const [name, text, want] of XDP_CASES) expectVerdict({ ...prog(text, 'xdp'), name }, want);
  });

  test('a load-acquire of a precise stack slot keeps the slot precise (backtracked as BPF_LDX)', () => {
    // The loaded value indexes a map value: precision walks back through the load-acquire to the spill.
    const p = prog([
      '.map m array key=4 value=16 entries=1', 'r1 = 0', '*(u32 *)(r10 -4) = r1', 'r2 = r10', 'r2 += -4', 'r1 = map[m]', 'call 1',
      'if r0 == 0 goto +7', 'r6 = r0', 'r1 = 4', '*(u64 *)(r10 -16) = r1', 'r2 = load_acquire((u64 *)(r10 -16))', 'r6 += r2',
      'r0 = *(u32 *)(r6 +0)', 'exit', 'r0 = 0', 'exit',
    ].join('\n'));
    const r = verify(p, { log: true, logLevel: 2 });
    expect(r.verdict, r.error?.message).toBe('accept');
    expect(r.log).toMatch(/mark_precise: frame0: regs=r2 stack= before \d+: \(db\) r2 = load_acquire\(\(u64 \*\)\(r10 -16\)\)/);
    expect(r.log).toMatch(/mark_precise: frame0: regs= stack=-16 before \d+: \(7b\) \*\(u64 \*\)\(r10 -16\) = r1/);
    if (!k.ok) return;
    const kr = progLoad(p, { logLevel: 2 });
    if (kr.fd !== null) closeFd(kr.fd);
    expect(kr.log).toMatch(/mark_precise: frame0: regs=r2 stack= before \d+: \(db\) r2 = load_acquire\(\(u64 \*\)\(r10 -16\)\)/);
    expect(kr.log).toMatch(/mark_precise: frame0: regs= stack=-16 before \d+: \(7b\) \*\(u64 \*\)\(r10 -16\) = r1/);
  });

  test('the VM and the JIT run them as the plain load and store, as the kernel does', () => {
    const text = [
      'r1 = 0x1122334455667788 ll', 'store_release((u64 *)(r10 -8), r1)',
      'r2 = load_acquire((u8 *)(r10 -7))', 'r3 = load_acquire((u16 *)(r10 -6))', 'r4 = load_acquire((u32 *)(r10 -4))',
      'r5 = 0xab', 'store_release((u8 *)(r10 -8), r5)', 'r5 = 0xcdef', 'store_release((u16 *)(r10 -6), r5)',
      'r6 = load_acquire((u64 *)(r10 -8))', 'r6 ^= r2', 'r6 ^= r3', 'r6 += r4',
      'r0 = r6', 'r0 >>= 32', 'w6 ^= w0', 'w0 = w6', 'exit',
    ].join('\n');
    const p = prog(text);
    expect(verify(p).verdict).toBe('accept');
    // 0x11223344cdef77ab ^ 0x77 ^ 0x5566 + 0x11223344, folded to 32 bits
    const m = (0x11223344cdef77abn ^ 0x77n ^ 0x5566n) + 0x11223344n;
    const want = Number((BigInt.asUintN(32, m) ^ BigInt.asUintN(32, m >> 32n)) & 0xffffffffn);
    const vm = runProgram(p, { entry: 'mem' });
    expect(vm.fault ?? vm.error).toBeUndefined();
    expect(Number(vm.r0)).toBe(want);
    for (const mode of ['checked', 'trusted'] as const) expect(Number(new Jit(p, { mode }).run({ entry: 'mem' }).r0), mode).toBe(want);
    if (k.ok) expect(runInKernel(p, { data: new Uint8Array(64) }).run?.retval).toBe(want);
  });
});

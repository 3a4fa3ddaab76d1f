/**
 * kfuncs and may_goto on the VM, the JIT (checked and trusted) and, when this host allows it, the
 * running kernel (BPF_PROG_TEST_RUN): open-coded iterators (bpf_for over an empty range, start >
 * end, a range above BPF_MAX_LOOPS, break, nesting, bpf_repeat, the bits iterator with its
 * in-place and allocated copies and its errors) and may_goto loops (can_loop / cond_break
 * crossing the first time check, per-frame counters in subprograms). The programs are C in
 * test/fixtures/kfuncs/loops.c, compiled there (CI needs no clang); their kfunc calls are
 * resolved against the running kernel's BTF as libbpf would. The expected values are computed
 * here from the C source's meaning, and the kernel must agree with them too.
 *
 * may_goto alone needs no BTF: assembly programs check the timed counter (runtime/may-goto.ts)
 * with a clock that advances 100 ms per read, so the 250 ms check ends a loop deterministically.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Jit, type JitMode } from '../../src/jit/index.js';
import { kernelAvailable, runInKernel } from '../../src/kernel/index.js';
import { loadFile } from '../../src/loader/index.js';
import { RUNNING_KERNEL_BTF, readTargetBtf } from '../../src/loader/target.js';
import type { Program } from '../../src/isa/program.js';
import { Clock } from '../../src/runtime/env.js';
import { BPF_MAX_TIMED_LOOPS } from '../../src/runtime/may-goto.js';
import { Vm, type RunInput, type RunResult } from '../../src/vm/index.js';
import { prog } from '../runtime/util.js';

const OBJ = 'test/fixtures/kfuncs/loops.o';
const OUT = '.data.out';
const EINVAL = -22, E2BIG = -7, EFAULT = -14;
const MAX_LOOPS = 8 * 1024 * 1024;

type Engine = 'vm' | JitMode;
const ENGINES: Engine[] = ['vm', 'checked', 'trusted'];

/** r0 and out[] (16 longs) after one run on `engine`. */
function runOn(p: Program, engine: Engine, input: RunInput): { r: RunResult; out: bigint[] } {
  const exe = engine === 'vm' ? new Vm(p) : new Jit(p, { mode: engine });
  const r = exe.run(input);
  const m = (exe instanceof Vm ? exe.maps : exe.maps).find((x) => x.spec.name.endsWith(OUT));
  const v = m?.lookup(new Uint8Array(4));
  const out = v ? [...new BigInt64Array(v.slice().buffer)] : [];
  return { r, out };
}

const popcount = (v: bigint): number => { let n = 0; for (let x = BigInt.asUintN(64, v); x; x >>= 1n) n += Number(x & 1n); return n; };
const sum = (n: number, f: (i: number) => number): number => { let s = 0; for (let i = 0; i < n; i++) s += f(i); return s; };

/** What each program of loops.c leaves in out[] and returns (u32), from its source. */
function expected(): Record<string, { out: number[]; r0: number }> {
  const words = [0xf7310n, 0x8000000000000001n, 0n, 0x100n, 1n, 2n, 3n, 0xffn];
  const bitsAll = words.reduce((a, w) => a + popcount(w), 0);
  const forSum = sum(100, (i) => i * i);
  const s = sum(37, (i) => i), t = sum(10, (i) => sum(i, (j) => i * 16 + j));
  const mg = sum(200000, (i) => i & 7);
  const sub = sum(40, (j) => { const n = j * 97; return sum(n, (i) => i ^ n); });
  return {
    for_sum: { out: [forSum], r0: forSum & 0xffff },
    ranges: { out: [0, 1, EINVAL, 1, E2BIG, 1, E2BIG, 0, 5 + 6, 0, 0, 0], r0: 0 },
    break_nested: { out: [s, t, 7], r0: s + t + 7 },
    may_goto_loops: { out: [mg, 200000, sub, 40, sum(50, (i) => i)], r0: mg & 0xffff },
    bits: { out: [popcount(0x100fn), bitsAll, 7 * 64 + 7, EINVAL, E2BIG, EINVAL, EFAULT, EFAULT, 0 + 63], r0: popcount(0x100fn) + bitsAll },
  };
}

const padded = (xs: number[]): bigint[] => [...xs.map(BigInt), ...new Array<bigint>(16 - xs.length).fill(0n)];

// The fixture's kfunc externs resolve against the running kernel's BTF (as libbpf's do).
const btf = readTargetBtf(RUNNING_KERNEL_BTF);
const programs: Program[] = typeof btf === 'string' ? [] : await loadFile(OBJ, new Uint8Array(readFileSync(OBJ)));
const unresolved = programs.find((p) => p.loadError);
const skipWhy = typeof btf === 'string' ? `no kernel BTF (${btf})` : unresolved ? `${unresolved.name}: ${unresolved.loadError!.message}` : '';
if (skipWhy) console.log(`skip: kfunc programs need the running kernel's BTF: ${skipWhy}`);
const byName = (n: string): Program => programs.find((p) => p.name === n)!;
const PACKET = { packet: new Uint8Array(64) };

describe.skipIf(skipWhy !== '')('bpf_for, bpf_repeat, bits iterators and can_loop in C: VM and JIT', () => {
  const want = expected();
  for (const [name, w] of Object.entries(want)) {
    it(`${name}: r0 and memory as the source says, on every engine`, () => {
      for (const e of ENGINES) {
        const { r, out } = runOn(byName(name), e, PACKET);
        expect(r.error?.message ?? r.fault?.message, `${name} on ${e}`).toBeUndefined();
        expect(Number(r.r0 & 0xffffffffn), `${name} r0 on ${e}`).toBe(w.r0 >>> 0);
        expect(out, `${name} out[] on ${e}`).toEqual(padded(w.out));
      }
    });
  }

  it('an unbounded can_loop ends after a multiple of 0xffff iterations, identically on every engine', () => {
    const results = ENGINES.map((e) => runOn(byName('can_loop_forever'), e, { ...PACKET, clock: new Clock({ stepNs: 100_000_000n }) }));
    // the time checks read 0, 100, 200, 300 ms: the fourth finds 250 ms gone, the next may_goto jumps
    for (const { r, out } of results) {
      expect(r.error?.message).toBeUndefined();
      expect(out[0]).toBe(BigInt(4 * BPF_MAX_TIMED_LOOPS));
      expect(r.r0).toBe(BigInt(4 * BPF_MAX_TIMED_LOOPS));
    }
    expect(results[1]!.r.steps).toBe(results[0]!.r.steps);
  });
});

const avail = kernelAvailable();
if (!skipWhy && !avail.ok) console.log(`skip: the kernel side of the kfunc differential needs bpf(): ${avail.reason}`);

describe.skipIf(skipWhy !== '' || !avail.ok)('the same programs in the kernel (BPF_PROG_TEST_RUN)', () => {
  const want = expected();
  for (const name of Object.keys(want)) {
    it(`${name}: the kernel returns and writes what the VM does`, () => {
      const k = runInKernel(byName(name), { logLevel: 0, data: PACKET.packet });
      expect(k.load.verdict, k.load.log).toBe('accept');
      const m = k.maps.find((x) => x.name.endsWith(OUT))!;
      const [, v] = m.entries[0]!;
      const kout = [...new BigInt64Array(v.slice().buffer)];
      const { r, out } = runOn(byName(name), 'vm', PACKET);
      expect(k.run!.retval).toBe(Number(r.r0 & 0xffffffffn));
      expect(kout).toEqual(out);
    });
  }

  it('bpf_iter_num_new/next over random and edge ranges: the kernel, the VM and the JIT return and hand out the same values', () => {
    const id = (n: string): number => (typeof btf === 'string' ? -1 : btf.find(n, 'func')[0]!.id);
    const INT_MIN = -0x80000000, INT_MAX = 0x7fffffff;
    const edge = fc.constantFrom(INT_MIN, INT_MIN + 1, -1, 0, 1, 5, MAX_LOOPS - 1, MAX_LOOPS, MAX_LOOPS + 1, INT_MAX - 2, INT_MAX - 1, INT_MAX);
    const int = fc.oneof(edge, fc.integer({ min: INT_MIN, max: INT_MAX }), fc.integer({ min: -40, max: 40 }));
    // new(start, end) -> out[0]; up to 20 next() calls: count -> out[1], sum of the s32 values -> out[2],
    // the last pointer next() gave read again after the loop -> out[3]
    const text = (start: number, end: number): string => [
      '.type xdp', '.map out array key=4 value=32 entries=1', 'r6 = map_value[out]',
      'r1 = r10', 'r1 += -8', `r2 = ${start}`, `r3 = ${end}`, `call kernel-function#${id('bpf_iter_num_new')}`,
      '*(u64 *)(r6 + 0) = r0', 'r7 = 0', 'r8 = 0', 'r9 = 0',
      'loop:', 'r1 = r10', 'r1 += -8', `call kernel-function#${id('bpf_iter_num_next')}`, 'if r0 == 0 goto done',
      'r9 = r0', 'r1 = *(s32 *)(r0 + 0)', 'r8 += r1', 'r7 += 1', 'if r7 < 20 goto loop',
      'done:', '*(u64 *)(r6 + 8) = r7', '*(u64 *)(r6 + 16) = r8',
      'if r9 == 0 goto out', 'r1 = *(u32 *)(r9 + 0)', '*(u64 *)(r6 + 24) = r1', 'out:',
      'r1 = r10', 'r1 += -8', `call kernel-function#${id('bpf_iter_num_destroy')}`, 'r0 = r7', 'exit',
    ].join('\n');
    let runs = 0;
    fc.assert(fc.property(int, int, (start, end) => {
      const p = prog(text(start, end));
      const k = runInKernel(p, { logLevel: 0, data: PACKET.packet });
      expect(k.load.verdict, k.load.log).toBe('accept');
      const kv = k.maps.find((m) => m.name === 'out')!.entries[0]![1];
      for (const e of ENGINES) {
        const exe = e === 'vm' ? new Vm(p) : new Jit(p, { mode: e });
        const r = exe.run(PACKET);
        expect(r.error?.message, `${start}..${end} on ${e}`).toBeUndefined();
        expect(Number(r.r0 & 0xffffffffn)).toBe(k.run!.retval);
        expect(Buffer.from(exe.maps.find((m) => m.spec.name === 'out')!.lookup(new Uint8Array(4))!).toString('hex'), `${start}..${end} on ${e}`).toBe(Buffer.from(kv).toString('hex'));
      }
      runs++;
    }), {
      numRuns: 40, seed: 11,
      // the boundaries of the kernel's checks, always tried
      examples: [[0, MAX_LOOPS], [-1, MAX_LOOPS - 1], [0, MAX_LOOPS + 1], [INT_MIN, INT_MAX], [INT_MAX, INT_MAX], [INT_MAX - 1, INT_MAX], [5, 5], [6, 5], [INT_MIN, INT_MIN + 1]],
    });
    expect(runs).toBe(40); // the examples count among the runs
  });

  it('bpf_iter_bits over random words: the same bits, errors and final state on the kernel, the VM and the JIT', () => {
    const id = (n: string): number => (typeof btf === 'string' ? -1 : btf.find(n, 'func')[0]!.id);
    const word = fc.oneof(fc.constantFrom(0n, 1n, 1n << 63n, -1n, 0x5n), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }));
    // three words at r10-40; new(r10-16, r10-40, n) -> out[0]; next() until NULL (at most 200):
    // count -> out[1], sum of bits -> out[2], then the last pointer read again -> out[3]
    const text = (ws: bigint[], n: number): string => [
      '.type xdp', '.map out array key=4 value=32 entries=1', 'r6 = map_value[out]',
      ...ws.flatMap((w, i) => [`r1 = ${BigInt.asIntN(64, w)} ll`, `*(u64 *)(r10 - ${40 - 8 * i}) = r1`]),
      'r1 = r10', 'r1 += -16', 'r2 = r10', 'r2 += -40', `r3 = ${n}`, `call kernel-function#${id('bpf_iter_bits_new')}`,
      '*(u64 *)(r6 + 0) = r0', 'r7 = 0', 'r8 = 0', 'r9 = 0',
      'loop:', 'r1 = r10', 'r1 += -16', `call kernel-function#${id('bpf_iter_bits_next')}`, 'if r0 == 0 goto done',
      'r9 = r0', 'r1 = *(u32 *)(r0 + 0)', 'r8 += r1', 'r7 += 1', 'if r7 < 200 goto loop',
      'done:', '*(u64 *)(r6 + 8) = r7', '*(u64 *)(r6 + 16) = r8', 'if r9 == 0 goto out', 'r1 = *(u32 *)(r9 + 0)', '*(u64 *)(r6 + 24) = r1',
      'out:', 'r1 = r10', 'r1 += -16', `call kernel-function#${id('bpf_iter_bits_destroy')}`, 'r0 = r7', 'exit',
    ].join('\n');
    fc.assert(fc.property(fc.array(word, { minLength: 3, maxLength: 3 }), fc.constantFrom(0, 1, 2, 3, 512), (ws, n) => {
      const p = prog(text(ws, n));
      const k = runInKernel(p, { logLevel: 0, data: PACKET.packet });
      expect(k.load.verdict, k.load.log).toBe('accept');
      const kv = Buffer.from(k.maps.find((m) => m.name === 'out')!.entries[0]![1]).toString('hex');
      for (const e of ENGINES) {
        const exe = e === 'vm' ? new Vm(p) : new Jit(p, { mode: e });
        const r = exe.run(PACKET);
        expect(r.error?.message, e).toBeUndefined();
        expect(Number(r.r0 & 0xffffffffn)).toBe(k.run!.retval);
        expect(Buffer.from(exe.maps.find((m) => m.spec.name === 'out')!.lookup(new Uint8Array(4))!).toString('hex'), e).toBe(kv);
      }
    }), { numRuns: 25, seed: 7 });
  });

  it('can_loop_forever: the kernel stops it after a multiple of 0xffff iterations too (timed may_goto)', () => {
    const k = runInKernel(byName('can_loop_forever'), { logLevel: 0, data: PACKET.packet });
    expect(k.load.verdict, k.load.log).toBe('accept');
    const n = k.run!.retval;
    expect(n % BPF_MAX_TIMED_LOOPS).toBe(0);
    expect(n).toBeGreaterThan(2 * BPF_MAX_TIMED_LOOPS);
    // not the counter form (BPF_MAX_LOOPS iterations), which x86-64 no longer uses
    expect(n).not.toBe(MAX_LOOPS);
  });
});

describe('may_goto (assembly): timed counter per frame, on the VM and the JIT', () => {
  const clock = () => new Clock({ stepNs: 100_000_000n });
  const agree = (text: string, input: RunInput = {}): RunResult => {
    const p = prog(text);
    const rs = ENGINES.map((e) => runOn(p, e, { ...input, entry: 'mem' }).r);
    for (const r of rs.slice(1)) {
      expect(r.r0).toBe(rs[0]!.r0);
      expect(r.error?.kind).toBe(rs[0]!.error?.kind);
    }
    expect(rs[1]!.steps).toBe(rs[0]!.steps);
    return rs[0]!;
  };

  it('a loop runs 0xffff iterations per time check until 250 ms passed', () => {
    const r = agree('r0 = 0\nl1: may_goto l2\nr0 += 1\ngoto l1\nl2: exit', { clock: clock() });
    expect(r.r0).toBe(BigInt(4 * BPF_MAX_TIMED_LOOPS));
  });

  it('loops that end by themselves are untouched (the check refreshes the count)', () => {
    const r = agree('r0 = 0\nr1 = 300000\nl1: may_goto l2\nr0 += 1\nif r0 < r1 goto l1\nl2: exit');
    expect(r.r0).toBe(300000n);
  });

  it('may_goto +0 is a no-op: it does not use up the count', () => {
    const r = agree('r0 = 0\nl1: may_goto pc+0\nmay_goto l2\nr0 += 1\ngoto l1\nl2: exit', { clock: clock() });
    expect(r.r0).toBe(BigInt(4 * BPF_MAX_TIMED_LOOPS));
  });

  it('each call of a subprogram starts its own count; the caller keeps its own', () => {
    // main calls sub 3 times in a may_goto loop of its own; sub loops until its may_goto jumps
    const r = agree([
      'r6 = 0', 'r7 = 0',
      'l1: may_goto l2', 'call sub', 'r6 += r0', 'r7 += 1', 'if r7 < 3 goto l1',
      'l2: r0 = r6', 'exit',
      'sub: r0 = 0', 's1: may_goto s2', 'r0 += 1', 'goto s1', 's2: exit',
    ].join('\n'), { clock: clock() });
    expect(r.r0).toBe(BigInt(3 * 4 * BPF_MAX_TIMED_LOOPS));
  });

  it('irreducible loops (the dispatch layout of the JIT) count alike', () => {
    for (const first of [0, 1]) {
      const r = agree('r0 = 0\nr2 = *(u8 *)(r1 + 0)\nif r2 == 0 goto b\na: may_goto out\nr0 += 1\nb: may_goto out\nr0 += 2\ngoto a\nout: exit',
        { clock: clock(), mem: new Uint8Array([first]) });
      // 4 * 0xffff may_gotos fall through, alternating between a (+1) and b (+2)
      expect(r.r0).toBe(BigInt(2 * 3 * BPF_MAX_TIMED_LOOPS));
    }
  });

  it('an unbounded loop on the default clock meets the step limit at the same step on every engine', () => {
    const p = prog('r0 = 0\nl1: may_goto l2\nr0 += 1\ngoto l1\nl2: exit');
    const vm = new Vm(p, { maxSteps: 500_000 }).run({ entry: 'mem' });
    const jit = new Jit(p, { mode: 'checked', maxSteps: 500_000 }).run({ entry: 'mem' });
    expect(vm.error?.kind).toBe('step_limit');
    expect(jit.error?.kind).toBe('step_limit');
    expect(jit.error?.pc).toBe(vm.error?.pc);
  });
});

describe.skipIf(typeof btf === 'string')('kfunc calls bpflab does not run', () => {
  const idOf = (name: string): number => (typeof btf === 'string' ? -1 : btf.find(name, 'func')[0]?.id ?? -1);

  it('name the kfunc in an unsupported error, on the VM and the JIT', () => {
    const id = idOf('bpf_send_signal_task');
    expect(id).toBeGreaterThan(0);
    const p = prog(`r1 = 0\ncall kernel-function#${id}\nexit`);
    for (const e of ENGINES) {
      const { r } = runOn(p, e, { entry: 'mem' });
      expect(r.error?.kind, e).toBe('unsupported');
      expect(r.error?.message).toContain('bpf_send_signal_task');
      expect(r.error?.pc).toBe(1);
    }
  });

  it('casts are the identity (as fixup_kfunc_call patches them) and RCU markers change nothing', () => {
    const p = prog([
      'r1 = 7', '*(u64 *)(r10 - 8) = r1',
      `call kernel-function#${idOf('bpf_rcu_read_lock')}`,
      'r1 = r10', 'r1 += -8', 'r2 = 1',
      `call kernel-function#${idOf('bpf_rdonly_cast')}`,
      'r6 = *(u64 *)(r0 + 0)',
      `call kernel-function#${idOf('bpf_rcu_read_unlock')}`,
      'r0 = r6', 'exit',
    ].join('\n'));
    for (const e of ENGINES) {
      const { r } = runOn(p, e, { entry: 'mem' });
      expect(r.error?.message, e).toBeUndefined();
      expect(r.r0, e).toBe(7n);
    }
  });

  it('bits iterators that are never destroyed run out of kernel memory (-ENOMEM), not of host memory', () => {
    // bpf_iter_bits_new(r10 - 16, r10 - 32, 2) 1100 times: each allocates a copy, none is freed
    const p = prog([
      'r1 = -1', '*(u64 *)(r10 - 32) = r1', '*(u64 *)(r10 - 24) = r1', 'r6 = 1100',
      'l1: r1 = r10', 'r1 += -16', 'r2 = r10', 'r2 += -32', 'r3 = 2',
      `call kernel-function#${idOf('bpf_iter_bits_new')}`,
      'r6 += -1', 'if r6 != 0 goto l1', 'exit',
    ].join('\n'));
    for (const e of ENGINES) {
      const { r } = runOn(p, e, { entry: 'mem' });
      expect(r.error?.message, e).toBeUndefined();
      expect(r.r0, e).toBe(BigInt.asUintN(32, -12n));
    }
  });

  it('bpf_ksym_exists(kfunc): ld_imm64 of a kfunc btf id loads a non-NULL address; kernel variables are refused at link', () => {
    const p = prog(`r1 = btf_id[${idOf('bpf_iter_num_new')}]\nr0 = 1\nif r1 == 0 goto out\nr0 = 2\nout: exit`);
    for (const e of ENGINES) expect(runOn(p, e, { entry: 'mem' }).r.r0, e).toBe(2n);
    const v = typeof btf === 'string' ? undefined : btf.find('runqueues', 'var')[0];
    if (v) expect(() => new Vm(prog(`r1 = btf_id[${v.id}]\nr0 = 0\nexit`))).toThrow(/runqueues.*not modelled/);
  });

  it('a BTF id that is no function says so', () => {
    const p = prog('call kernel-function#1\nexit');
    const { r } = runOn(p, 'vm', { entry: 'mem' });
    expect(r.error?.kind).toBe('unsupported');
    expect(r.error?.message).toMatch(/btf id 1 is not a function/);
  });
});

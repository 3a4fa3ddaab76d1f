/**
 * The JIT's atomics and LD_ABS/LD_IND templates against the VM: a mutation check. Each planted
 * code-generation bug (src/jit/planted.ts) is refuted by Z3 on one cheap obligation, the same
 * obligation proves without it, and the counterexample's values are replayed on the engines: the
 * VM and the planted JIT disagree exactly there, the real JIT agrees. (All the atomic and
 * LD_ABS obligations run in `bpflab prove`; test/smt/prove.test.ts proves a few in CI.) Also the
 * JIT bug found on the way, replayed: an atomic operation the VM does not execute (load-acquire and
 * store-release do execute: the plain load and store).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Jit, type JitMode } from '../../src/jit/index.js';
import { plantedJitBugs } from '../../src/jit/planted.js';
import { assemble } from '../../src/isa/asm/index.js';
import { insn } from '../../src/isa/insn.js';
import * as op from '../../src/isa/opcodes.js';
import type { Program } from '../../src/isa/program.js';
import { atomicObligations, ldAbsObligations, loadZ3, proveAt, type Z3Handle } from '../../src/smt/index.js';
import { Vm } from '../../src/vm/index.js';
import { modelValue, refuteAndReplay } from './planted-replay.js';

let z: Z3Handle;
beforeAll(async () => { z = await loadZ3(); });
afterAll(async () => { await z.close(); });

type Bug = 'atomicFetchReturnsNew' | 'cmpxchg64ComparesLow32' | 'ldAbsSignExtends';
afterEach(() => { for (const k of Object.keys(plantedJitBugs) as Array<keyof typeof plantedJitBugs>) plantedJitBugs[k] = false; });

const program = (text: string): Program => {
  const a = assemble(text);
  return { name: 'replay', section: '', type: 'socket_filter', insns: a.insns, maps: a.maps, license: 'GPL' };
};

/** r0 of a run on the VM and on the JIT in both modes (an error as its kind). */
function engines(p: Program, packet = new Uint8Array(64)): { vm: string; checked: string; trusted: string } {
  const show = (run: () => { r0: bigint; error?: { kind?: string } }): string => {
    const r = run();
    return r.error ? `error ${r.error.kind ?? ''}` : `0x${BigInt.asUintN(64, r.r0).toString(16)}`;
  };
  const jit = (mode: JitMode) => show(() => new Jit(p, { mode, maps: [] }).run({ packet }));
  return { vm: show(() => new Vm(p, {}).run({ packet })), checked: jit('checked'), trusted: jit('trusted') };
}


interface Mutant {
  bug: Bug;
  obligation: string;
  what: string;
  /** The programs (one per observed value) that replay the model's counterexample. */
  replay(model: string): Program[];
  packet?: (model: string) => Uint8Array;
}

/** The slot form of the atomic obligations: the slot at r10 - 16 holds `slot`, then `ins` with r0, r4 from the model. */
const slotReplay = (ins: string, observe: string[]) => (model: string): Program[] => observe.map((out) => program(`
    r1 = 0x${modelValue(model, 'slot').toString(16)} ll
    *(u64 *)(r10 -16) = r1
    r0 = 0x${modelValue(model, 'r0').toString(16)} ll
    r4 = 0x${modelValue(model, 'r4').toString(16)} ll
    ${ins}
    ${out}
    exit`));

const MUTANTS: Mutant[] = [
  {
    bug: 'atomicFetchReturnsNew', obligation: 'jit.atomic.fetch_add64.slot', what: 'fetch_add loads the sum into src, not the old value',
    replay: slotReplay('r4 = atomic64_fetch_add((u64 *)(r10 -16), r4)', ['r0 = r4', 'r0 = *(u64 *)(r10 -16)']),
  },
  {
    bug: 'cmpxchg64ComparesLow32', obligation: 'jit.atomic.cmpxchg64.slot', what: 'a 64-bit cmpxchg compares only the low words of r0 and the old value',
    replay: slotReplay('r0 = atomic64_cmpxchg((u64 *)(r10 -16), r0, r4)', ['r0 = r0', 'r0 = *(u64 *)(r10 -16)']),
  },
  {
    bug: 'ldAbsSignExtends', obligation: 'jit.ld_abs32', what: 'LD_ABS sign-extends the loaded word into r0',
    // the first form: LD_ABS W at offset 0; the model's value at offset 0 goes into the packet there (big-endian)
    replay: () => [program('r6 = r1\nr0 = *(u32 *)skb[0]\nexit')],
    packet: (model) => {
      // the value at offset 0: `(ite (= x!0 #x00000000) #xV ...)` or a constant function `#xV`
      const f = /\(define-fun ld_abs_value4 \(\(x!0 \(_ BitVec 32\)\)\) \(_ BitVec 32\)\s+(\(ite \(= x!0 #x00000000\) )?#x([0-9a-f]{8})/.exec(model);
      if (!f) throw new Error(`no value at offset 0 in the model:\n${model}`);
      const b = new Uint8Array(64);
      new DataView(b.buffer).setUint32(14, Number.parseInt(f[2]!, 16)); // a socket filter's skb->data: past the Ethernet header
      return b;
    },
  },
];

const obligation = (name: string) => [...atomicObligations(), ...ldAbsObligations()].find((o) => o.name === name)!;

describe('JIT atomics and LD_ABS: mutation check', () => {
  for (const mu of MUTANTS) {
    it(`${mu.bug}: ${mu.what}`, async () => {
      // the counterexample on the engines: each program with the model's packet
      const replay = (model: string) => mu.replay(model).map((p) => ({ p, packet: mu.packet?.(model) }));
      await refuteAndReplay(z, mu.bug, obligation(mu.obligation), replay, ({ p, packet }) => {
        const r = engines(p, packet);
        return { agree: r.checked === r.vm && r.trusted === r.vm, detail: r };
      });
    }, 300_000);
  }
});

describe('atomics through pointers: the lemma split keeps the bugs visible', () => {
  // The pointer forms prove the registers and the stored value with the VM's address substituted
  // for the template's (src/smt/jit-atomics.ts): a wrong operation on the fast path is still refuted.
  for (const [bug, name] of [['cmpxchg64ComparesLow32', 'jit.atomic.cmpxchg64.ptr.trusted'], ['atomicFetchReturnsNew', 'jit.atomic.fetch_add32.ptr.checked']] as const) {
    it(`${bug} refuted by ${name}`, async () => {
      plantedJitBugs[bug] = true;
      const bad = await proveAt(z, obligation(name), 64, 120_000);
      expect(bad.verdict).toBe('failed');
      expect(bad.model).toMatch(/define-fun/);
    }, 300_000);
  }
});

describe('an atomic operation the VM does not execute', () => {
  it('load-acquire and store-release run as the plain load and store on every engine', () => {
    const insns = [
      insn(op.BPF_ALU64 | op.BPF_K | op.BPF_MOV, 2, 0, 0, 3),
      insn(op.BPF_STX | op.BPF_ATOMIC | op.BPF_DW, 10, 2, -8, op.BPF_STORE_REL),
      insn(op.BPF_STX | op.BPF_ATOMIC | op.BPF_W, 0, 10, -8, op.BPF_LOAD_ACQ),
      insn(op.BPF_JMP | op.BPF_EXIT, 0, 0),
    ];
    expect(engines({ name: 'acq', section: '', type: 'socket_filter', insns, maps: [], license: 'GPL' })).toEqual({ vm: '0x3', checked: '0x3', trusted: '0x3' });
  });

  it('a reserved imm: bad_insn on the VM and the JIT (the JIT ran it as xor)', () => {
    for (const imm of [0x02, 0xb0, 0x120]) {
      const insns = [
        insn(op.BPF_ALU64 | op.BPF_K | op.BPF_MOV, 1, 0, 0, 5),
        insn(op.BPF_STX | op.BPF_MEM | op.BPF_DW, 10, 1, -8),
        insn(op.BPF_ALU64 | op.BPF_K | op.BPF_MOV, 2, 0, 0, 3),
        insn(op.BPF_STX | op.BPF_ATOMIC | op.BPF_DW, 10, 2, -8, imm),
        insn(op.BPF_LDX | op.BPF_MEM | op.BPF_DW, 0, 10, -8),
        insn(op.BPF_JMP | op.BPF_EXIT, 0, 0),
      ];
      const r = engines({ name: 'acq', section: '', type: 'socket_filter', insns, maps: [], license: 'GPL' });
      expect(r, `imm 0x${imm.toString(16)}`).toEqual({ vm: 'error bad_insn', checked: 'error bad_insn', trusted: 'error bad_insn' });
    }
  });
});

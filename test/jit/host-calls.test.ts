/**
 * Host calls go through the runtime's table (src/jit/host-calls.ts): a program's module imports
 * no functions (V8 compiled a wrapper per import signature for every module), its bytes do not
 * depend on the runtime it is compiled in, and the helper, trap and step-limit paths still find
 * their own program when several modules share a runtime.
 */
import { describe, expect, it } from 'vitest';
import { Jit } from '../../src/jit/index.js';
import { JitRuntime } from '../../src/jit/runtime.js';
import { assemble } from '../../src/isa/asm/index.js';
import type { Program } from '../../src/isa/program.js';
import { Vm } from '../../src/vm/index.js';

function prog(text: string): Program {
  const a = assemble(text);
  return { name: 'test', section: '', type: a.type ?? 'socket_filter', insns: a.insns, maps: a.maps, license: 'GPL' };
}

const constant = (k: number) => prog(`
    r0 = ${k}
    exit`);
/** Loops until the step limit: the limit's pc is counted over its ld_imm64 (a program-specific walk). */
const spin = prog(`
    r0 = 0
  top:
    r1 = 0x100000000 ll
    r0 += 1
    goto top`);
/** A helper call whose result depends on the run's seed (bpf_get_prandom_u32). */
const random = prog(`
    call 7
    r6 = r0
    call 7
    r0 ^= r6
    exit`);

describe('JIT host calls', () => {
  it('a program module imports no functions', () => {
    const rt = new JitRuntime({ mode: 'checked', maxSteps: 1000 });
    const jm = rt.module(random);
    const imports = WebAssembly.Module.imports(new WebAssembly.Module(jm.bytes));
    expect(imports.filter((i) => i.kind === 'function')).toEqual([]);
    expect(imports.map((i) => i.name).sort()).toEqual(['budget', 'depthMax', 'memory', 'progBase', 'table']);
  });

  it('compiles a program to the same bytes in any runtime', () => {
    const a = new JitRuntime({ mode: 'checked', maxSteps: 1000 });
    const b = new JitRuntime({ mode: 'checked', maxSteps: 1000 });
    a.compile([constant(1), constant(2), constant(3)]);
    expect(Buffer.from(a.module(random).bytes).equals(Buffer.from(b.module(random).bytes))).toBe(true);
  });

  it('helper calls, traps and the step limit of later modules in a shared runtime agree with the VM', () => {
    const rt = new JitRuntime({ mode: 'checked', maxSteps: 7 });
    rt.compile([constant(4), constant(5)]);
    rt.compile([constant(6)]);
    for (const p of [spin, random, constant(7)]) {
      for (const seed of [1, 2]) {
        const want = new Vm(p, { maxSteps: 7 }).run({ seed });
        const got = new Jit(p, { mode: 'checked', runtime: rt }).run({ seed });
        expect({ r0: got.r0, error: got.error ? { kind: got.error.kind, pc: got.error.pc } : null })
          .toEqual({ r0: want.r0, error: want.error ? { kind: want.error.kind, pc: want.error.pc } : null });
      }
    }
    const limited = new Jit(spin, { mode: 'checked', runtime: rt }).run({});
    expect(limited.error?.kind).toBe('step_limit');
  });
});

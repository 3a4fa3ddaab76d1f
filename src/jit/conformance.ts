/** The JIT as a conformance-suite engine (same load checks and inputs as the VM's engine). */
import { loadCheck, type Engine } from '../vm/conformance.js';
import { InputError } from '../isa/errors.js';
import { Jit } from './jit.js';
import type { JitMode } from './memory.js';

export function jitEngine(mode: JitMode = 'checked'): Engine {
  return (program, mem) => {
    const bad = loadCheck(program.insns);
    if (bad) return { error: bad };
    let jit: Jit;
    try { jit = new Jit(program, { mode, maxSteps: 1_000_000 }); } catch (e) {
      if (e instanceof InputError || e instanceof Error) return { error: e.message };
      return { error: String(e) };
    }
    const r = jit.run({ mem: mem.slice(), entry: 'mem' });
    if (r.fault) return { error: r.fault.message };
    if (r.error) return { error: r.error.message };
    return { r0: r.r0 };
  };
}

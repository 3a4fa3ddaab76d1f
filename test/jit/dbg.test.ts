import fc from 'fast-check';
import { it } from 'vitest';
import { Vm } from '../../src/vm/index.js';
import { Jit, JitRuntime } from '../../src/jit/index.js';
import { memArb, programArb } from './gen.js';
it('dbg', () => {
  const rt = new JitRuntime({ mode: 'checked', maxSteps: 3000 });
  let n = 0;
  fc.assert(fc.property(programArb, memArb, (insns, mem) => {
    n++;
    const p = { name: 'x', section: '', type: 'socket_filter' as const, insns, maps: [], license: 'GPL' };
    const a = new Vm(p, { maxSteps: 3000 }).run({ mem: mem.slice(), entry: 'mem' });
    const b = new Jit(p, { mode: 'checked', runtime: rt }).run({ mem: mem.slice(), entry: 'mem' });
    if (a.r0 !== b.r0 && !a.fault && !b.fault) { console.log(n, JSON.stringify(insns), a.r0, b.r0, a.error?.message, b.error?.message); return false; }
    return true;
  }), { seed: 1812617637, numRuns: 1394, endOnFailure: true });
});

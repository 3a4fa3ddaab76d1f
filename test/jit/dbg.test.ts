import fc from 'fast-check';
import { it } from 'vitest';
import { Vm } from '../../src/vm/index.js';
import { Jit, JitRuntime } from '../../src/jit/index.js';
import { memArb, programArb } from './gen.js';
it('dbg', () => {
  const progs = fc.sample(programArb, { numRuns: 4000, seed: 42 });
  const P = progs.map((insns) => ({ name: 'x', section: '', type: 'socket_filter' as const, insns, maps: [], license: 'GPL' }));
  const T: Record<string, number> = { gen: 0, vmNew: 0, vmRun: 0, comp: 0, jitNew: 0, jitRun: 0 };
  for (let b = 0; b < 40; b++) {
    const batch = P.slice(b * 100, b * 100 + 100);
    let t = performance.now();
    const rt = new JitRuntime({ mode: 'checked', maxSteps: 3000 });
    const jms = rt.compile(batch);
    T.comp += performance.now() - t; T.genOnly = (T.genOnly ?? 0) + jms[0]!.genMs; T.wasmC = (T.wasmC ?? 0) + jms[0]!.compileMs;
    for (const p of batch) {
      t = performance.now(); const vm = new Vm(p, { maxSteps: 3000 }); T.vmNew += performance.now() - t;
      t = performance.now(); vm.run({ mem: new Uint8Array(64), entry: 'mem' }); T.vmRun += performance.now() - t;
      t = performance.now(); const j = new Jit(p, { mode: 'checked', runtime: rt }); T.jitNew += performance.now() - t;
      t = performance.now(); j.run({ mem: new Uint8Array(64), entry: 'mem' }); T.jitRun += performance.now() - t;
    }
  }
  let t0 = performance.now(); const gens = fc.sample(fc.array(fc.tuple(programArb, memArb), { minLength: 100, maxLength: 100 }), { numRuns: 40, seed: 1 }); T.gen = performance.now() - t0;
  console.log(Object.fromEntries(Object.entries(T).map(([k, v]) => [k, (v / 4000).toFixed(3)])));
});

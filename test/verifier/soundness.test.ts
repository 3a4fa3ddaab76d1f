/**
 * Soundness against the checked VM: every random program bpflab accepts runs on the VM with
 * random contexts, packets, map contents and CPU numbers without a memory fault or a VM error
 * (step limits and helpers the VM does not implement aside). At least 5,000 accepted programs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/isa/errors.js';
import type { Program } from '../../src/isa/program.js';
import { ctxLayout } from '../../src/runtime/context/index.js';
import { SKB_CTX_IN_FIELDS, SK_BUFF_FIELDS, SK_BUFF_SIZE } from '../../src/runtime/context/skbuff.js';
import { isSkbType } from '../../src/runtime/ctx-region.js';
import { createMap } from '../../src/runtime/maps/create.js';
import { verify } from '../../src/verifier/index.js';
import { Vm } from '../../src/vm/index.js';
import { GEN_MAP, programArb } from './gen-programs.js';

const input = fc.record({
  packet: fc.uint8Array({ minLength: 14, maxLength: 64 }),
  ctxSeed: fc.uint8Array({ minLength: 256, maxLength: 256 }),
  value: fc.uint8Array({ minLength: 16, maxLength: 16 }),
  present: fc.boolean(),
  cpu: fc.integer({ min: 0, max: 1 }),
  seed: fc.integer(),
});

/** __sk_buff bytes a test run may set (BPF_PROG_TEST_RUN refuses the others unless zero; so does the VM). */
const SKB_CTX_IN = new Uint8Array(SK_BUFF_SIZE);
for (const f of SK_BUFF_FIELDS) if (SKB_CTX_IN_FIELDS.includes(f.name)) SKB_CTX_IN.fill(1, f.off, f.off + f.size);

function ctxFor(p: Program, seed: Uint8Array): Uint8Array {
  const ctx = seed.slice(0, ctxLayout(p.type)?.size ?? 0);
  if (isSkbType(p.type)) {
    for (let i = 0; i < ctx.length; i++) if (!SKB_CTX_IN[i]) ctx[i] = 0;
    new DataView(ctx.buffer).setUint16(SK_BUFF_FIELDS.find((f) => f.name === 'gso_segs')!.off + 2, 0, true); // gso_segs <= 65535
  }
  return ctx;
}

describe('accepted programs never fault on the checked VM', () => {
  it('5,000 accepted random programs, random inputs', () => {
    const map = createMap(GEN_MAP);
    let accepted = 0;
    let runs = 0;
    fc.assert(
      fc.property(programArb, fc.array(input, { minLength: 1, maxLength: 1 }), (p: Program, inputs) => {
        if (verify(p, { nrCpus: 2 }).verdict !== 'accept') return true;
        accepted++;
        const vm = new Vm(p, { maps: p.maps.length ? [map] : [], maxSteps: 100_000 });
        for (const x of inputs) {
          const key = new Uint8Array(4);
          try { map.delete(key); } catch { /* absent */ }
          if (x.present) map.update(key, x.value);
          const run = (ctx: Uint8Array) => vm.run({ ctx, packet: x.packet, cpu: x.cpu, seed: x.seed });
          let r;
          try {
            r = run(ctxFor(p, x.ctxSeed));
          } catch (e) {
            // a context the test-run model refuses (field constraints): run with an all-zero one instead
            if (!(e instanceof InputError) || e.kind !== 'ctx') throw e;
            r = run(new Uint8Array(ctxLayout(p.type)?.size ?? 0));
          }
          runs++;
          if (r.fault) throw new Error(`accepted program faulted: ${r.fault.message}\n${JSON.stringify(p)}`);
          if (r.error && r.error.kind !== 'step_limit' && r.error.kind !== 'unknown_helper')
            throw new Error(`accepted program stopped: ${r.error.message}\n${JSON.stringify(p)}`);
        }
        return true;
      }),
      { numRuns: 12_500, seed: 0x736f756e },
    );
    console.log(`soundness: ${accepted} accepted programs, ${runs} VM runs, no faults`);
    expect(accepted).toBeGreaterThanOrEqual(5000);
  });
});

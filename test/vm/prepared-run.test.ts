// Vm.prepare makes PreparedRun's linked, pseudo and initialR1/R2/R10 when first read (the JIT reads
// them; the interpreter never does): they must say what the run the interpreter executes uses.
import { describe, expect, it } from 'vitest';
import { createMap } from '../../src/runtime/maps/create.js';
import { Memory } from '../../src/runtime/memory.js';
import { Vm } from '../../src/vm/index.js';
import { prog } from '../runtime/util.js';

describe('Vm.prepare: the PreparedRun the JIT reads', () => {
  const twoMaps = prog(`.map a array key=4 value=8 entries=1
    .map b array key=4 value=8 entries=1
    r1 = map[b]
    r0 = map[a]
    exit`);

  it('gives the ld_imm64 values the interpreter loads, one region per map instance, and the initial registers', () => {
    const vm = new Vm(twoMaps);
    const run = vm.prepare({ packet: new Uint8Array(64) });
    const R = run.regs;
    const initialR1 = (BigInt(R[3]! >>> 0) << 32n) | BigInt(R[2]! >>> 0);
    const initialR10 = (BigInt(R[21]! >>> 0) << 32n) | BigInt(R[20]! >>> 0);
    const values = run.pseudo.get(twoMaps);
    const regions = run.env.mapRegions;
    expect(regions[0]).not.toBe(regions[1]);
    expect(values?.get(0)).toBe(Memory.ptr(regions[1]!, 0));
    expect(values?.get(2)).toBe(Memory.ptr(regions[0]!, 0));
    expect(run.linked.get(twoMaps)).toBe(run.decoded);
    expect(run.initialR1).toBe(initialR1);
    expect(run.initialR2).toBe(BigInt(R[4]! >>> 0));
    expect(run.initialR10).toBe(initialR10);
    const res = vm.finish(run, vm.execute(run));
    expect(res.r0).toBe(values?.get(2));
    // still readable after the run: the run does not write the constant slots or the captured registers
    expect(run.initialR1).toBe(initialR1);
    expect(run.pseudo.get(twoMaps)?.get(0)).toBe(Memory.ptr(regions[1]!, 0));
  });

  it('gives one map instance listed twice one region, as a Map by instance did', () => {
    const m = createMap(twoMaps.maps[0]!);
    const vm = new Vm(twoMaps, { maps: [m, m] });
    const run = vm.prepare({ packet: new Uint8Array(64) });
    expect(run.env.mapRegions[0]).toBe(run.env.mapRegions[1]);
    expect(run.pseudo.get(twoMaps)?.get(0)).toBe(run.pseudo.get(twoMaps)?.get(2));
  });
});

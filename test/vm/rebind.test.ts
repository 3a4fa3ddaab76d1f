import { describe, expect, it } from 'vitest';
import { createMap } from '../../src/runtime/maps/create.js';
import type { ProgArrayMap } from '../../src/runtime/maps/types.js';
import { Vm } from '../../src/vm/index.js';
import { prog, u32le } from '../runtime/util.js';

describe('Vm.rebind: the same loaded program over new map instances', () => {
  const counter = prog(`.map counts array key=4 value=8 entries=1
    r1 = 0
    *(u32 *)(r10 - 4) = r1
    r2 = r10
    r2 += -4
    r1 = map[counts]
    call bpf_map_lookup_elem
    if r0 == 0 goto out
    r1 = *(u64 *)(r0 + 0)
    r1 += 1
    *(u64 *)(r0 + 0) = r1
    r0 = r1
  out:
    exit`);

  it('runs on the new maps, leaving the old ones as the earlier runs left them', () => {
    const first = counter.maps.map((s) => createMap(s));
    const vm = new Vm(counter, { maps: first });
    expect([vm.run({ packet: new Uint8Array(64) }).r0, vm.run({ packet: new Uint8Array(64) }).r0]).toEqual([1n, 2n]);
    const second = counter.maps.map((s) => createMap(s));
    vm.rebind(second);
    expect(vm.maps).toBe(second);
    expect(vm.run({ packet: new Uint8Array(64) }).r0).toBe(1n);
    expect(first[0]!.lookup(u32le(0))).toEqual(new Uint8Array([2, 0, 0, 0, 0, 0, 0, 0]));
    expect(() => vm.rebind([])).toThrow(/1 maps declared but 0 instances given/);
  });

  it('links tail-call targets from the new maps', () => {
    const p = prog(`.map jt prog_array key=4 value=4 entries=1
      r2 = map[jt]
      r3 = 0
      call bpf_tail_call
      r0 = 1
      exit`);
    const withTarget = (text: string | null) => {
      const maps = p.maps.map((s) => createMap(s));
      if (text !== null) (maps[0] as ProgArrayMap).setProgram(0, prog(text));
      return maps;
    };
    const vm = new Vm(p, { maps: withTarget('r0 = 5\nexit') });
    expect(vm.run({ packet: new Uint8Array(64) }).r0).toBe(5n);
    vm.rebind(withTarget('r0 = 1\nr0 += 6\nexit'));
    expect(vm.run({ packet: new Uint8Array(64) }).r0).toBe(7n);
    vm.rebind(withTarget(null));
    expect(vm.run({ packet: new Uint8Array(64) }).r0).toBe(1n);
  });
});

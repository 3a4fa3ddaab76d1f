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

describe('Vm.load: another program on the same VM', () => {
  const fresh = (p: ReturnType<typeof prog>) => p.maps.map((s) => createMap(s));
  const programs = [
    prog(`.type xdp
      r2 = *(u32 *)(r1 + 4)
      r1 = *(u32 *)(r1 + 0)
      r0 = r2
      r0 -= r1
      exit`),
    prog(`.map counts array key=4 value=8 entries=2
      r1 = 1
      *(u32 *)(r10 - 4) = r1
      r2 = r10
      r2 += -4
      r1 = map[counts]
      call bpf_map_lookup_elem
      if r0 == 0 goto out
      r1 = 7
      *(u64 *)(r0 + 0) = r1
      r0 = *(u64 *)(r0 + 0)
    out:
      exit`),
    prog(`.type sched_cls
      r2 = *(u32 *)(r1 + 80)
      r3 = *(u32 *)(r1 + 76)
      r0 = r2
      r0 -= r3
      r3 += 20
      if r3 > r2 goto out
      *(u8 *)(r3 - 1) = 1
    out:
      exit`),
  ];

  it('runs each program as a VM of its own would, on packets of every size', () => {
    const vm = new Vm(programs[0]!, { maps: fresh(programs[0]!) });
    for (const len of [14, 200, 60, 1500, 14])
      for (const p of programs) {
        const input = { packet: new Uint8Array(len).fill(len & 0xff) };
        const alone = new Vm(p, { maps: fresh(p) }).run(input);
        const maps = fresh(p);
        vm.load(p, maps);
        expect(vm.program).toBe(p);
        expect(vm.maps).toBe(maps);
        const r = vm.run(input);
        expect({ r0: r.r0, packet: r.packet, ctx: r.ctx, fault: r.fault?.message }).toEqual({ r0: alone.r0, packet: alone.packet, ctx: alone.ctx, fault: alone.fault?.message });
      }
  });

  it('a program that cannot be linked throws and leaves the loaded one in place', () => {
    const vm = new Vm(programs[1]!, { maps: fresh(programs[1]!) });
    const dangling = { ...programs[1]!, maps: [] };
    expect(() => vm.load(dangling, [])).toThrow(/refers to map #0 but the program has 0 maps/);
    expect(() => vm.load(programs[1]!, [])).toThrow(/1 maps declared but 0 instances given/);
    expect(vm.program).toBe(programs[1]);
    expect(vm.run({ packet: new Uint8Array(64) }).r0).toBe(7n);
  });

  it('reuses the code store of the program before last: failed loads between leave every program intact', () => {
    // each load decodes into the store of the program two loads back; a program that fails to
    // link decodes into that spare too, and must not disturb the one loaded
    const jumpsOut = prog('r0 = 1\nexit');
    jumpsOut.insns.unshift({ code: 0x05, dst: 0, src: 0, off: 40, imm: 0 });
    const vm = new Vm(programs[0]!, { maps: fresh(programs[0]!) });
    const input = { packet: new Uint8Array(100).fill(3) };
    for (let round = 0; round < 4; round++)
      for (const p of [...programs].reverse()) {
        vm.load(p, fresh(p));
        expect(() => vm.load(jumpsOut, [])).toThrow(/jump|outside|target/i);
        const alone = new Vm(p, { maps: fresh(p) }).run(input);
        const r = vm.run(input);
        expect({ r0: r.r0, packet: r.packet, fault: r.fault?.message }).toEqual({ r0: alone.r0, packet: alone.packet, fault: alone.fault?.message });
      }
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kfuncPrograms, overflowingLoadProgram, warmUpProgram, warmUpVm, wildAccessPrograms } from '../../src/fuzz/vm-warm-up.js';
import { OP, decodeProgram } from '../../src/vm/decoded.js';
import { Vm } from '../../src/vm/vm.js';

/** The case labels of the interpreter's switch (vm/interpreter.ts), read from its source. */
function interpreterCases(): number[] {
  const src = readFileSync(new URL('../../src/vm/interpreter.ts', import.meta.url), 'utf8');
  return [...new Set([...src.matchAll(/\bcase (0x[0-9a-f]+)/g)].map((m) => Number(m[1])))];
}

describe('VM warm-up before a campaign (fuzz/vm-warm-up.ts)', () => {
  it('runs every case of the interpreter but kfunc calls (which need a linked target BTF), and exits cleanly', () => {
    const program = warmUpProgram();
    const decoded = decodeProgram(program, 0);
    const seen = new Set<number>();
    const vm = new Vm(program, { maxSteps: 100_000, onStep: (pc) => seen.add(decoded.op[pc]!) });
    const r = vm.run({ packet: new Uint8Array(64) });
    expect(r.fault).toBeUndefined();
    expect(r.error).toBeUndefined();
    expect(r.r0).toBe(0n);
    const cases = interpreterCases();
    expect(cases.length).toBeGreaterThan(100);
    expect(cases.filter((c) => !seen.has(c))).toEqual([OP.KFUNC]);
  });

  it('runs the shifts with counts of 0, below 32 and from 32 on, and divisions by zero and by a non-zero value', () => {
    const program = warmUpProgram();
    const decoded = decodeProgram(program, 0);
    const shifts = new Map<number, Set<string>>();
    const divisors = new Set<string>();
    const vm = new Vm(program, {
      maxSteps: 100_000,
      onStep: (pc, regs) => {
        const o = decoded.op[pc]!;
        const src = decoded.s[pc]!;
        if (o === 0x6f || o === 0x7f || o === 0xcf) {
          const n = regs[src]! & 63;
          const k = shifts.get(o) ?? new Set<string>();
          k.add(n === 0 ? 'zero' : n < 32 ? 'below 32' : 'from 32');
          shifts.set(o, k);
        }
        if (o === 0x3f || o === 0x9f) divisors.add(regs[src] === 0 && regs[src + 1] === 0 ? 'zero' : 'non-zero');
      },
    });
    vm.run({ packet: new Uint8Array(64) });
    for (const o of [0x6f, 0x7f, 0xcf]) expect([...shifts.get(o)!].sort()).toEqual(['below 32', 'from 32', 'zero']);
    expect([...divisors].sort()).toEqual(['non-zero', 'zero']);
  });

  it('stops the early-stop programs where they are meant to: each wild access faults, the overflowing ld_ind exits', () => {
    const wild = wildAccessPrograms();
    expect(wild).toHaveLength(13);
    for (const p of wild) {
      const r = new Vm(p, { maxSteps: 100 }).run({ packet: new Uint8Array(64) });
      expect(r.fault?.kind).toBe('out_of_bounds');
      expect(r.fault?.pc).toBe(3);
    }
    const r = new Vm(overflowingLoadProgram(), { maxSteps: 100 }).run({ packet: new Uint8Array(64) });
    expect(r.fault).toBeUndefined();
    expect(r.ldAbsExit).toBe(2);
    expect(r.r0).toBe(0n);
  });

  it('calls a linked kfunc and stops at an unlinked one (with the running kernel\'s BTF)', () => {
    const programs = kfuncPrograms();
    if (programs.length === 0) {
      console.log('skipped: no kernel BTF (/sys/kernel/btf/vmlinux), so no kfunc warm-up programs');
      return;
    }
    const [linked, unlinked] = programs.map((p) => new Vm(p, { maxSteps: 100 }).run({ packet: new Uint8Array(64) }));
    expect(linked!.error).toBeUndefined();
    expect(linked!.r0).toBe(0n);
    expect(unlinked!.error?.kind).toBe('unsupported');
    expect(unlinked!.error?.pc).toBe(0);
  });

  it('runs once per isolate', () => {
    const first = warmUpVm();
    const again = warmUpVm();
    // (another test in this file's isolate may have run it first: then both calls return null)
    if (first !== null) expect(first.r0).toBe(0n);
    expect(again).toBeNull();
  });
});

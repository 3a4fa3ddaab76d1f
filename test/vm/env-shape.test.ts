// The helper environment the VM makes for a run is read on every helper call by the interpreter's
// optimised loop: envs of several hidden classes (a field added when a run had sockets, a FIB, a
// kernel world or bpf_seq output) deoptimised it ("wrong map"), and TurboFan compiled all of it
// again. Compared with V8's own %HaveSameMap (natives syntax, enabled here at run time).
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { makeInsn } from '../../src/isa/insn.js';
import { makeProgram } from '../../src/isa/program.js';
import type { HelperEnv } from '../../src/runtime/env.js';
import { DEFAULT_FIB } from '../../src/runtime/fib.js';
import { Vm } from '../../src/vm/vm.js';

setFlagsFromString('--allow-natives-syntax');
const sameMap = new Function('a', 'b', 'return %HaveSameMap(a, b);') as (a: unknown, b: unknown) => boolean;
setFlagsFromString('--no-allow-natives-syntax');

const program = makeProgram({
  name: 'r0', section: 'socket', type: 'socket_filter', license: 'GPL', maps: [],
  insns: [makeInsn(0xb7, 0, 0, 0, 0), makeInsn(0x95, 0, 0, 0, 0)],
});

/** The env of one run with `input` (the interpreter keeps it after the run). */
function envOf(input: Parameters<Vm['run']>[0]): HelperEnv {
  const vm = new Vm(program);
  vm.run(input);
  return (vm as unknown as { interp: { env: HelperEnv } }).interp.env;
}

describe('helper env hidden class (vm.ts)', () => {
  it('is the same with and without sockets and a FIB, and after helpers fill the lazily made fields', () => {
    const plain = envOf({ packet: new Uint8Array(64) });
    const full = envOf({ packet: new Uint8Array(64), fib: DEFAULT_FIB, sockets: [] });
    expect(sameMap(plain, full)).toBe(true);
    // What bpf_seq_printf and the kfuncs' allocator do on first use (print.ts, iter-bits.ts).
    const later = envOf({ packet: new Uint8Array(64) });
    (later.seq ??= []).push('x');
    later.kernelObjects = undefined;
    expect(sameMap(plain, later)).toBe(true);
  });
});

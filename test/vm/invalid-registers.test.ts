/**
 * r11..r15 have no slot in the VM's register file or a JIT local. A verified program never
 * reaches one (the verifier refuses it there), but dead code may hold them: the VM and the JIT
 * (checked and trusted) run such programs, and run unverified they fault at the instruction,
 * both with the same error, without touching anything else.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import type { Insn } from '../../src/isa/insn.js';
import type { Program } from '../../src/isa/program.js';
import { Jit } from '../../src/jit/index.js';
import { verify } from '../../src/verifier/index.js';
import { Vm, type RunResult } from '../../src/vm/index.js';

const I = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({ code, dst, src, off, imm });
const prog = (insns: Insn[]): Program => ({ name: 'p', section: '', type: 'socket_filter', insns, maps: [], license: 'GPL' });

/** One instruction (or pair) of each kind that uses a register, naming r`r`. */
const kinds = (r: number): [string, Insn[]][] => [
  ['mov', [I(0xbf, r, 0, 0, 0)]], ['mov src', [I(0xbf, 0, r, 0, 0)]], ['add K', [I(0x07, r, 0, 0, 1)]], ['alu32 src', [I(0xbc, 0, r, 0, 0)]],
  ['movsx', [I(0xbf, 0, r, 16, 0)]], ['neg', [I(0x87, r, 0, 0, 0)]], ['bswap', [I(0xd7, r, 0, 0, 32)]], ['sdiv', [I(0x3f, 0, r, 1, 0)]],
  ['ldx', [I(0x79, r, 10, -8, 0)]], ['ldx base', [I(0x79, 0, r, -8, 0)]], ['ldxsx', [I(0x91, 0, r, -8, 0)]],
  ['stx base', [I(0x7b, r, 0, -8, 0)]], ['stx value', [I(0x7b, 10, r, -8, 0)]], ['st', [I(0x72, r, 0, -8, 1)]],
  ['atomic add', [I(0xdb, 10, r, -8, 0x00)]], ['atomic base', [I(0xdb, r, 0, -8, 0x00)]], ['fetch_or', [I(0xc3, 10, r, -8, 0x41)]],
  ['xchg', [I(0xdb, 10, r, -8, 0xe1)]], ['cmpxchg', [I(0xdb, 10, r, -8, 0xf1)]],
  ['ld_imm64', [I(0x18, r, 0, 0, 7), I(0, 0, 0, 0, 1)]], ['ld_ind', [I(0x50, 0, r, 0, 0)]],
  ['jeq X', [I(0x1d, r, 0, 0, 0)]], ['jgt src', [I(0x2d, 0, r, 0, 0)]], ['jset K', [I(0x45, r, 0, 0, 1)]], ['jmp32', [I(0xae, 0, r, 0, 0)]],
];

// r6 = r1 (ctx, for LD_IND); r0 = 0; *(u64 *)(r10 -8) = 0
const PRE = [I(0xbf, 6, 1, 0, 0), I(0xb7, 0, 0, 0, 0), I(0x7a, 10, 0, -8, 0)];
const EXIT = I(0x95, 0, 0, 0, 0);

type Engine = (p: Program) => RunResult;
const ENGINES: [string, Engine][] = [
  ['vm', (p) => new Vm(p).run({ packet: new Uint8Array(64) })],
  ['jit checked', (p) => new Jit(p, { mode: 'checked' }).run({ packet: new Uint8Array(64) })],
  ['jit trusted', (p) => new Jit(p, { mode: 'trusted' }).run({ packet: new Uint8Array(64) })],
];
const outcome = (r: RunResult): string => (r.error ? `${r.error.kind} at ${r.error.pc}: ${r.error.message}` : r.fault ? `fault ${r.fault.kind}` : `r0 ${r.r0}`);

describe('engines and r11..r15', () => {
  it('dead instructions naming r11..r15 are skipped by every engine', () => {
    for (const r of [11, 15]) {
      for (const [what, bad] of kinds(r)) {
        // r0 = 0; if r0 == 0 goto +n; BAD; r0 = 9; exit -- the verifier accepts, r0 stays 0
        const p = prog([...PRE, I(0x15, 0, 0, bad.length + 1, 0), ...bad, I(0xb7, 0, 0, 0, 9), EXIT]);
        expect(verify(p).verdict, what).toBe('accept');
        for (const [name, run] of ENGINES) expect(`${what}: ${name}: ${outcome(run(p))}`).toBe(`${what}: ${name}: r0 0`);
        expect(ENGINES[0]![1](p).steps).toBe(5); // the trusted JIT does not count steps
      }
    }
  });

  it('a dead map reference into r15 needs no prepared value', () => {
    const a = assemble('.type xdp\n.map counters array key=4 value=8 entries=4\nr0 = 2\nif r0 == 2 goto out\nr15 = map[counters]\nr1 = map[counters]\nout:\nexit\n');
    const p: Program = { name: 'p', section: '', type: 'xdp', insns: a.insns, maps: a.maps, license: 'GPL' };
    expect(verify(p).verdict).toBe('accept');
    for (const [name, run] of ENGINES) expect(`${name}: ${outcome(run(p))}`).toBe(`${name}: r0 2`);
  });

  it('run unverified, a reached one faults there with the same error in the VM and the JIT', () => {
    for (const [what, bad] of kinds(13)) {
      const p = prog([...PRE, ...bad, I(0xb7, 0, 0, 0, 9), EXIT]);
      const vm = outcome(ENGINES[0]![1](p));
      expect(vm, what).toMatch(/^bad_insn at 3: invalid (dst|src) register r13/);
      expect(outcome(ENGINES[1]![1](p)), what).toBe(vm);
    }
  });
});

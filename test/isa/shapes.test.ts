// Instructions, programs and map specs reach the verifier and the VM from the assembler, the
// decoder, the ELF loader and the fuzz generators and mutators. Each kind must have ONE V8 hidden
// class whatever made it: a second one (a `{ ...ins }` copy, a field added later, a field that
// once held a heap number) deoptimises the verifier's optimised code ("wrong map") and makes
// TurboFan compile its big functions again, which is what took the second core from a second
// fuzz worker. Compared with V8's own %HaveSameMap (natives syntax, enabled here at run time).
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeInsns } from '../../src/isa/decode.js';
import { insn, makeInsn } from '../../src/isa/insn.js';
import { makeMapSpec, makeProgram, type Program } from '../../src/isa/program.js';
import { loadFile } from '../../src/loader/index.js';
import { caseArb } from '../../src/fuzz/campaign.js';
import { mutatedProgramArb, rawProgramArb } from '../../src/fuzz/generators/raw.js';
import { applyMutations, guidedMutationArb } from '../../src/fuzz/guided/mutate.js';

setFlagsFromString('--allow-natives-syntax');
const sameMap = new Function('a', 'b', 'return %HaveSameMap(a, b);') as (a: unknown, b: unknown) => boolean;
setFlagsFromString('--no-allow-natives-syntax');

const REF = makeProgram({
  name: 'ref', section: '', type: 'xdp', license: 'GPL', insns: [insn(0xb7), makeInsn(0x95, 0, 0, 0, 0)],
  maps: [makeMapSpec({ name: 'm', type: 'array', keySize: 4, valueSize: 8, maxEntries: 1, flags: 0 })],
});

/** Which parts of `p` have another hidden class than REF's. */
function outliers(p: Program): string[] {
  const out: string[] = [];
  if (!sameMap(p, REF)) out.push('program');
  if (!sameMap(p.insns, REF.insns)) out.push('insns array');
  if (!sameMap(p.maps, REF.maps)) out.push('maps array');
  p.insns.forEach((i, pc) => { if (!sameMap(i, REF.insns[0])) out.push(`insn ${pc}`); });
  p.maps.forEach((m, k) => {
    if (!sameMap(m, REF.maps[0])) out.push(`map ${k}`);
    if (m.inner && !sameMap(m.inner, REF.maps[0])) out.push(`map ${k} inner`);
  });
  return out.map((o) => `${p.name}: ${o}`);
}

const fixture = (path: string): Promise<Program[]> => loadFile(path, new Uint8Array(readFileSync(path)));

describe('one hidden class per data object', () => {
  it('the natives probe tells different hidden classes apart', () => {
    const a = makeInsn(1, 2, 3, 4, 5);
    expect(sameMap(a, makeInsn(6, 7, 8, 9, 10))).toBe(true);
    expect(sameMap(a, { ...a })).toBe(false); // what a spread copy does
  });

  it('assembler, raw bytecode and ELF loader', async () => {
    const programs = [
      ...(await fixture('examples/xdp-count-proto.s')),
      ...(await loadFile('prog.bin', encodeInsns([insn(0xb7, 0, 0, 0, 1), insn(0x95)]))),
      ...(await fixture('test/fixtures/elf/calls_globals.o')),
      ...(await fixture('test/fixtures/elf/btf_kinds.o')),
    ];
    expect(programs.length).toBeGreaterThan(3);
    expect(programs.flatMap(outliers)).toEqual([]);
  });

  it('structured, raw and mutated fuzz programs, and guided mutants of mutants', () => {
    const programs: Program[] = [];
    for (const c of fc.sample(caseArb({ structured: 1 }), { numRuns: 60, seed: 7 })) programs.push(c.program);
    programs.push(...fc.sample(rawProgramArb, { numRuns: 40, seed: 7 }));
    programs.push(...fc.sample(mutatedProgramArb(rawProgramArb), { numRuns: 40, seed: 7 }));
    // A guided corpus mutates its own mutants: copies of copies must not chain new classes.
    let p = programs[0]!;
    for (const muts of fc.sample(fc.array(guidedMutationArb, { minLength: 1, maxLength: 3 }), { numRuns: 40, seed: 7 })) {
      p = applyMutations(p, muts, programs[1]!);
      programs.push(p);
    }
    expect(programs.flatMap(outliers)).toEqual([]);
  });
});

/**
 * The guided generator: fuzz cases that are mostly mutants of the guided corpus (guidance.ts),
 * the rest fresh cases from the structured, mutational and raw generators (caseArb), which keep
 * bringing material the corpus does not have yet.
 */
import fc from 'fast-check';
import { makeInsn } from '../../isa/insn.js';
import * as op from '../../isa/opcodes.js';
import { makeMapSpec, makeProgram, type Program } from '../../isa/program.js';
import { inputArb } from '../generators/inputs.js';
import type { FuzzCase } from '../oracles/types.js';
import type { Guidance } from './guidance.js';
import { applyMutations, guidedMutationArb } from './mutate.js';

const UNIT = 0x80000000;
/** The mutation base while the corpus is empty (a campaign without seeds): `r0 = 0; exit`. */
const EMPTY: Program = makeProgram({
  name: 'empty', section: '', type: 'socket_filter', license: 'GPL', maps: [makeMapSpec({ name: 'map0', type: 'array', keySize: 4, valueSize: 16, maxEntries: 4, flags: 0 })],
  insns: [makeInsn(op.BPF_ALU64 | op.BPF_MOV | op.BPF_K, 0, 0, 0, 0), makeInsn(op.BPF_JMP | op.BPF_EXIT, 0, 0, 0, 0)],
});

export interface GuidedArbOptions {
  /** Share of fresh cases from `fresh`, 0..1 (default 0.5). */
  freshShare?: number;
  /** Mutations per mutant (default 1..3). */
  maxMutations?: number;
}

export function guidedCaseArb(g: Guidance, fresh: fc.Arbitrary<FuzzCase>, o: GuidedArbOptions = {}): fc.Arbitrary<FuzzCase> {
  const share = Math.round((o.freshShare ?? 0.5) * 100);
  const mutant = fc
    .record({ pick: fc.nat(UNIT - 1), mate: fc.nat(UNIT - 1), muts: fc.array(guidedMutationArb, { minLength: 1, maxLength: o.maxMutations ?? 3 }) })
    .map(({ pick, mate, muts }): Program => g.mutant(pick / UNIT, mate / UNIT, muts) ?? applyMutations(EMPTY, muts, EMPTY));
  const mutants = fc.record({ program: mutant, inputs: fc.array(inputArb, { minLength: 1, maxLength: 3 }) });
  if (share <= 0) return mutants;
  if (share >= 100) return fresh;
  return fc.oneof({ weight: share, arbitrary: fresh }, { weight: 100 - share, arbitrary: mutants });
}

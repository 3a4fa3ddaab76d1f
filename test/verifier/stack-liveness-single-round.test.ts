/**
 * Stack liveness without a log: a subprogram whose edges all lead forward has one solution of
 * the liveness equations, computed in a single round from its last instruction back (no
 * postorder, no confirming round). The results must be those of the kernel's rounds, which a
 * logged verification (level 2, counting the rounds) still runs: compared here on a program
 * whose pruning depends on a dead slot, with the kernel when it is there, and on generated
 * structured programs (verdict, processed instructions, states).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { caseArb } from '../../src/fuzz/campaign.js';
import { FUZZ_VERIFY_OPTIONS } from '../../src/fuzz/oracles/types.js';
import type { Program } from '../../src/isa/program.js';
import { verify } from '../../src/verifier/index.js';
import { prog } from '../runtime/util.js';

const k = kernelAvailable();
if (!k.ok) console.log(`stack liveness single round: no kernel comparison (${k.reason})`);

const summary = (p: Program, logged: boolean): string => {
  const r = verify(p, logged ? { ...FUZZ_VERIFY_OPTIONS, log: true, logLevel: 2 } : FUZZ_VERIFY_OPTIONS);
  return `${r.verdict} processed=${r.processed} states=${r.states} peak=${r.peakStates} ${r.error?.message ?? ''}`;
};

describe('stack liveness in one round for forward-only subprograms', () => {
  test('a slot written on one side of a branch and overwritten after the join is dead there: the second path is pruned, as with the kernel\'s rounds', () => {
    const p = { ...prog(`call bpf_get_prandom_u32
r6 = r0
r7 = 0
r8 = 0
r9 = 0
r2 = 0
if r6 > 7 goto +3
r1 = r10
*(u64 *)(r10 -8) = r1
goto +1
r1 = 2
r1 = 0
*(u64 *)(r10 -8) = r1
r0 = *(u64 *)(r10 -8)
exit`), name: 'dead_slot_join' };
    const plain = verify(p, FUZZ_VERIFY_OPTIONS);
    const logged = verify(p, { ...FUZZ_VERIFY_OPTIONS, log: true, logLevel: 2 });
    expect(plain.verdict).toBe('accept');
    // the taken path (pc 10) reaches the join at 11 with fp-8 never written: safe (16 insns, not 19) only because fp-8 is dead there
    expect(logged.log).toContain('\n11: safe');
    expect(plain.processed).toBe(16);
    expect(plain.processed).toBe(logged.processed);
    expect(plain.states).toBe(logged.states);
    if (k.ok) {
      const kr = progLoad(p, { logLevel: 2 });
      if (kr.fd !== null) closeFd(kr.fd);
      expect(plain.processed).toBe(Number(/processed (\d+) insns/.exec(kr.log)?.[1]));
    }
  });

  test('generated structured programs: verdicts, processed instructions and states equal with and without the log', () => {
    const arb = caseArb({ structured: 1 });
    let programs = 0;
    for (let seed = 1; seed <= 15; seed++) for (const c of fc.sample(arb, { numRuns: 10, seed })) {
      expect(summary(c.program, false)).toBe(summary(c.program, true));
      programs++;
    }
    expect(programs).toBe(150);
  });
});

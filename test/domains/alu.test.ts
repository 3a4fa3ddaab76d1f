/**
 * Soundness of every ALU transfer function of the kernel domain, by exhaustive enumeration at
 * register width 8: for every pair of abstract values a, b from the enumerated set and every
 * x in γ(a), y in γ(b), op(x, y) must lie in γ(op♯(a, b)).
 */
import { describe, it, expect } from 'vitest';
import { ALU_OPS } from '../../src/verifier/domains/index.js';
import { K8, SEM8, SIZE, abstractValues, gamma, members, table, fmt } from './enum.js';

const VALUES = abstractValues(56);
const GAMMAS = VALUES.map((v) => gamma(v));
const MEMBERS = GAMMAS.map(members);

describe('ALU transfer functions are sound (width 8, exhaustive)', () => {
  for (const alu32 of [false, true]) {
    for (const op of ALU_OPS) {
      it(`${op}${alu32 ? '32' : '64'}`, () => {
        const conc = table((x, y) => SEM8.alu(op, alu32, x, y));
        let checked = 0;
        const failures: string[] = [];
        VALUES.forEach((a, i) => {
          VALUES.forEach((b, j) => {
            const r = K8.alu(op, alu32, a, b);
            const g = gamma(r);
            for (const x of MEMBERS[i]!) for (const y of MEMBERS[j]!) {
              checked++;
              const z = conc[x * SIZE + y]!;
              if (!g[z] && failures.length < 3) failures.push(`a=${fmt(a)} b=${fmt(b)} x=${x} y=${y} -> ${z} not in ${fmt(r)}`);
            }
          });
        });
        expect(failures).toEqual([]);
        expect(checked).toBeGreaterThan(100_000);
      });
    }
  }
});

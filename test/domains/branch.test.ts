/**
 * Conditional jumps at register width 8, exhaustively: for every condition (64- and 32-bit, the
 * latter on the 4-bit subregister), every pair of abstract values and every x in γ(a), y in γ(b):
 * the refined taken side keeps (x, y) when the condition holds, the fall-through side keeps them
 * when it does not, and a decided branch (1 / 0) agrees with the concrete condition.
 */
import { describe, it, expect } from 'vitest';
import { JMP_OPS, type Reg } from '../../src/verifier/domains/index.js';
import { K8, SEM8, SIZE, abstractValues, gamma, members, boolTable, fmt } from './enum.js';

const VALUES = abstractValues(48, 7);
const MEMBERS = VALUES.map((v) => members(gamma(v)));

describe('branch decision and refinement are sound (width 8, exhaustive)', () => {
  for (const jmp32 of [false, true]) {
    for (const op of JMP_OPS) {
      it(`${op}${jmp32 ? '32' : ''}`, () => {
        const cond = boolTable((x, y) => SEM8.cond(op, jmp32, x, y));
        const failures: string[] = [];
        let decided = 0, checked = 0;
        const note = (s: string): void => { if (failures.length < 3) failures.push(s); };
        VALUES.forEach((a, i) => {
          VALUES.forEach((b, j) => {
            const d = K8.branch(op, jmp32, a, b);
            const { taken, fall } = K8.refine(op, jmp32, a, b);
            const g: [Uint8Array, Uint8Array, Uint8Array, Uint8Array] = [gamma(taken[0]), gamma(taken[1]), gamma(fall[0]), gamma(fall[1])];
            if (d !== 255n) decided++;
            for (const x of MEMBERS[i]!) for (const y of MEMBERS[j]!) {
              checked++;
              const c = cond[x * SIZE + y] === 1;
              if (d === 1n && !c) note(`decided taken but ${x} ${op} ${y} is false: a=${fmt(a)} b=${fmt(b)}`);
              if (d === 0n && c) note(`decided not taken but ${x} ${op} ${y} holds: a=${fmt(a)} b=${fmt(b)}`);
              const [gx, gy]: Reg<bigint>[] = c ? taken : fall;
              const ok = c ? g[0][x] && g[1][y] : g[2][x] && g[3][y];
              if (!ok) note(`${c ? 'taken' : 'fall'} side lost x=${x} y=${y}: a=${fmt(a)} b=${fmt(b)} -> ${fmt(gx!)} ${fmt(gy!)}`);
            }
          });
        });
        expect(failures).toEqual([]);
        expect(checked).toBeGreaterThan(50_000);
        expect(decided).toBeGreaterThan(0);
      });
    }
  }
});

/**
 * The domains' constants: knownInt(n), an immediate, finds a cached 32-bit constant by the number
 * itself (no bigint made on a hit); it must hand out what known(BigInt(n)) does, the same object
 * for the same constant (pruning compares scalars by identity first), with the value wrapped to
 * 64 bits as the kernel's sign-extended immediate.
 */
import { describe, expect, it } from 'vitest';
import { DOMAIN_NAMES, getDomain } from '../../src/verifier/domains/index.js';

const NUMBERS = [-1, 0, 1, 255, 256, -2, 1000, -1000, 0x7fffffff, -0x80000000, 0xffffffff, -0x80000001, 0x100000000, 2 ** 40, -(2 ** 40)];

describe('knownInt', () => {
  for (const name of DOMAIN_NAMES) {
    it(`${name}: the constant known(BigInt(n)) makes, the same object again`, () => {
      const d = getDomain(name);
      for (const n of NUMBERS) {
        const a = d.knownInt(n);
        const b = d.known(BigInt(n));
        expect(d.equal(a, b)).toBe(true);
        expect(d.constValue(a)).toBe(BigInt.asUintN(64, BigInt(n)));
        expect(d.smin(a)).toBe(BigInt.asIntN(64, BigInt(n)));
        // in the 32-bit cache range both ways reach one cached object (until another constant takes
        // its slot); the tnum-only domain makes its constants from the tnum each time
        if (name !== 'tnum' && n >= -0x80000000 && n <= 0xffffffff) {
          expect(d.knownInt(n)).toBe(d.known(BigInt(n)));
          expect(d.knownInt(n)).toBe(d.knownInt(n));
        }
      }
    });
  }
});

/** Edge values the generators favour: where range tracking, sign handling and shifts go wrong. */
import fc from 'fast-check';

export const IMM32_EDGES = [0, 1, -1, 2, 7, 8, 15, 16, 31, 32, 63, 64, 255, 256, 0xffff, 0x7fff, -0x8000, 0x7fffffff, -0x80000000, -2, 0x10000] as const;

export const IMM64_EDGES = [
  0n, 1n, -1n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, -0x80000000n, -0x80000001n,
  0x7fffffffffffffffn, -0x8000000000000000n, 0xff00000000n, 0x8000000000000000n - 1n,
] as const;

/** Shift amounts: in range, exactly the width, beyond it (the verifier rejects constant shifts >= width). */
export const SHIFT_EDGES = [0, 1, 7, 8, 31, 32, 63] as const;

export const imm32Arb: fc.Arbitrary<number> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...IMM32_EDGES) },
  { weight: 1, arbitrary: fc.integer({ min: -0x80000000, max: 0x7fffffff }) },
  { weight: 1, arbitrary: fc.integer({ min: -16, max: 300 }) },
);

export const imm64Arb: fc.Arbitrary<bigint> = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...IMM64_EDGES) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }) },
  { weight: 1, arbitrary: imm32Arb.map(BigInt) },
);

/** Mostly valid shift amounts; 64 (and 32 for 32-bit shifts) now and then. */
export const shiftArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...SHIFT_EDGES) },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 31 }) },
  { weight: 1, arbitrary: fc.constantFrom(64, -1) },
);

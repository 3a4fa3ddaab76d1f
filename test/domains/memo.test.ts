/**
 * The kernel domain remembers its operations' results by operand value (memo.ts): every answer
 * must be the one the operator code computes, for equal operands given as different objects, and
 * across the memo's resets when it is full.
 */
import { describe, expect, it } from 'vitest';
import { ALU_OPS, JMP_OPS, K64, kernelDomainOf, type Scalar } from '../../src/verifier/domains/index.js';
import { ScalarMemo } from '../../src/verifier/domains/memo.js';
import { copyReg, type Reg } from '../../src/verifier/domains/scalar.js';
import { rng } from './enum.js';

const r = rng(7);
const VALUES = [0n, 1n, 5n, 255n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 1n << 63n, (1n << 64n) - 1n, (1n << 64n) - 16n];
const plain = kernelDomainOf(K64, new ScalarMemo());
/** Constants, their joins and what ALU operations make of them: ranges, tnums, both. */
function scalars(): Scalar[] {
  const out: Scalar[] = VALUES.map((v) => plain.known(v));
  for (let i = 0; i < 30; i++) {
    const a = out[Math.floor(r() * out.length)]!;
    const b = out[Math.floor(r() * out.length)]!;
    out.push(r() < 0.5 ? plain.join(a, b) : plain.alu(ALU_OPS[Math.floor(r() * ALU_OPS.length)]!, r() < 0.3, a, b));
  }
  return out;
}
/** A copy of s as another object, as the domain makes them (without the memo's number: it must find it by value). */
const twin = (s: Scalar): Scalar => copyReg(s as Reg<bigint>);
const R = (s: Scalar): Reg<bigint> => s as Reg<bigint>;

describe('memo of the kernel domain', () => {
  const S = scalars();
  for (const limit of [1 << 15, 16]) {
    it(`answers what the operators compute (limit ${limit})`, () => {
      const D = kernelDomainOf(K64, new ScalarMemo(limit));
      for (let round = 0; round < 2; round++) {
        for (let i = 0; i < S.length; i++) {
          const a = S[i]!;
          const b = S[(i * 7 + round) % S.length]!;
          for (const op of ALU_OPS) for (const alu32 of [false, true]) {
            const got = D.alu(op, alu32, round ? twin(a) : a, b);
            expect(got, `${op}${alu32 ? '32' : ''}`).toEqual(K64.alu(op, alu32, R(a), R(b)));
          }
          for (const op of JMP_OPS) for (const jmp32 of [false, true]) {
            expect(D.refine(op, jmp32, a, round ? twin(b) : b)).toEqual(K64.refine(op, jmp32, R(a), R(b)));
            const code = K64.branch(op, jmp32, R(a), R(b));
            expect(D.branch(op, jmp32, a, b)).toBe(code === 1n ? 1 : code === 0n ? 0 : -1);
          }
          for (const bytes of [1, 2, 4, 8] as const) expect(D.truncate(a, bytes)).toEqual(K64.truncate(R(a), bytes * 8));
          for (const bytes of [1, 2, 4] as const) expect(D.sextLoad(a, bytes)).toEqual(K64.sextLoad(R(a), bytes * 8));
          const a2 = round ? twin(a) : a;
          for (const alu32 of [false, true]) {
            expect(D.neg(alu32, a2)).toEqual(K64.neg(alu32, R(a)));
            for (const bits of [8, 16, 32] as const) expect(D.movsx(a2, bits, alu32)).toEqual(K64.movsx(R(a), bits, alu32));
          }
          expect(D.mov32(a2)).toEqual(K64.mov32(R(a)));
          for (const bits of [16, 32, 64] as const) for (const kind of ['le', 'be', 'bswap'] as const) expect(D.end(a2, bits, kind)).toEqual(K64.end(R(a), bits, kind));
          expect(D.ptrAdd(a2, b)).toEqual(K64.ptrAdd(R(a), R(b)));
          expect(D.ptrSub(a2, b)).toEqual(K64.ptrSub(R(a), R(b)));
          for (const op of JMP_OPS) for (const jmp32 of [false, true]) expect(D.refineSelf(op, jmp32, a2)).toEqual(K64.refineSelf(op, jmp32, R(a)));
        }
      }
    });
  }

  it('hands out the same state for equal operands', () => {
    const D = kernelDomainOf(K64, new ScalarMemo());
    const a = S[12]!;
    const b = S[20]!;
    expect(D.alu('add', false, twin(a), twin(b))).toBe(D.alu('add', false, a, b));
    expect(D.alu('add', true, a, b)).not.toBe(D.alu('add', false, a, b));
    expect(D.ptrAdd(twin(a), twin(b))).toBe(D.ptrAdd(a, b));
    expect(D.ptrSub(a, b)).not.toBe(D.ptrAdd(a, b));
    expect(D.end(twin(a), 32, 'be')).toBe(D.end(a, 32, 'be'));
    expect(D.end(a, 32, 'le')).not.toBe(D.end(a, 32, 'be'));
    expect(D.movsx(twin(a), 16, true)).toBe(D.movsx(a, 16, true));
    expect(D.movsx(a, 16, false)).not.toBe(D.movsx(a, 16, true));
  });
});

describe('memo results table', () => {
  it('finds every key it holds, forgets all of them past its limit, and never answers for a key it was not given', () => {
    const limit = 64;
    const m = new ScalarMemo(limit);
    // Keys as ScalarMemo.key makes them: operation, then two 21-bit value numbers.
    const key = (op: number, a: number, b: number): number => (op * 2 ** 21 + a) * 2 ** 21 + b;
    const keys: number[] = [];
    for (let i = 0; i < limit; i++) keys.push(key(i % 7, (i * 37) % 2 ** 21, i % 3 === 0 ? 0 : (i * 1009) % 2 ** 21));
    const last = keys.pop()!;
    keys.forEach((k, i) => m.set(k, i));
    keys.forEach((k, i) => expect(m.get(k)).toBe(i));
    expect(m.get(key(200, 5, 5))).toBeUndefined();
    m.set(keys[3]!, 'again');
    expect(m.get(keys[3]!)).toBe('again');
    // The limit-th key fills the table; the next one finds it full and starts it again empty.
    m.set(last, 'last');
    keys.forEach((k, i) => expect(m.get(k)).toBe(i === 3 ? 'again' : i));
    expect(m.get(last)).toBe('last');
    m.set(key(9, 1, 2), 'new');
    expect(m.get(key(9, 1, 2))).toBe('new');
    for (const k of [...keys, last]) expect(m.get(k)).toBeUndefined();
  });

  it('keeps every result while its table grows from its first size to the full one, then forgets them all at the limit', () => {
    // 2^14 results: the table starts at 2^13 slots and doubles twice (at 2^12 and 2^13 results) before the limit.
    const limit = 1 << 14;
    const m = new ScalarMemo(limit);
    const key = (op: number, a: number, b: number): number => (op * 2 ** 21 + a) * 2 ** 21 + b;
    const keys: number[] = [];
    for (let i = 0; i < limit; i++) keys.push(key(i % 11, (i * 7919) % 2 ** 21, (i * 104729) % 2 ** 21));
    keys.forEach((k, i) => {
      m.set(k, i);
      // every earlier result is still found across each doubling
      if (i === 4095 || i === 4096 || i === 8191 || i === 8192) keys.slice(0, i + 1).forEach((k2, j) => expect(m.get(k2)).toBe(j));
    });
    keys.forEach((k, i) => expect(m.get(k)).toBe(i));
    expect(m.get(key(200, 1, 1))).toBeUndefined();
    m.set(key(201, 1, 1), 'past the limit');
    expect(m.get(key(201, 1, 1))).toBe('past the limit');
    for (const k of keys) expect(m.get(k)).toBeUndefined();
  });
});

describe('memo operand numbers', () => {
  it('finds an earlier result by value for operands never numbered before', () => {
    const D = kernelDomainOf(K64, new ScalarMemo());
    const a = D.known(12345n);
    const b = D.known(678n);
    const first = D.alu('add', false, a, b);
    const few = [D.known(1n), D.known(2n), D.known(3n)];
    for (let i = 0; i < 1 << 14; i++) D.alu('xor', false, twin(few[i % 3]!), few[(i + 1) % 3]!);
    // equal operands as new objects: the result remembered before, the very object
    expect(D.alu('add', false, twin(a), twin(b))).toBe(first);
    expect(D.alu('add', false, a, b)).toBe(first);
  });

  it('counts the number an operand carries only in the numbering that gave it (not after a reset, not in another memo)', () => {
    // Limit 4: every few new values the memo starts again, and the numbers objects carry are stale.
    const m1 = new ScalarMemo(4);
    const m2 = new ScalarMemo(4);
    const D1 = kernelDomainOf(K64, m1);
    const D2 = kernelDomainOf(K64, m2);
    const vals = [3n, 5n, 7n, 11n, 13n, 17n, 19n].map((v) => D1.known(v));
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < vals.length; i++) {
        const a = vals[i]!;
        const b = vals[(i + round + 1) % vals.length]!;
        // the objects are numbered by both memos in turn, each resetting on the way
        expect(D1.alu('mul', false, a, b)).toEqual(K64.alu('mul', false, R(a), R(b)));
        expect(D2.alu('sub', false, b, a)).toEqual(K64.alu('sub', false, R(b), R(a)));
        expect(D1.branch('jgt', false, a, b)).toBe(K64.branch('jgt', false, R(a), R(b)) === 1n ? 1 : 0);
      }
    }
  });
});

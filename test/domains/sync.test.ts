/**
 * reg_bounds_sync, the width changes (zext, movsx, narrow loads), BPF_NEG and pointer-offset
 * arithmetic at register width 8, exhaustively over concrete members; sync also over random
 * (often inconsistent) states with arbitrary fields, which is what the kernel feeds it after
 * branch refinement.
 */
import { describe, it, expect } from 'vitest';
import { K64, bigintAlgebra, makeKernel, type Reg } from '../../src/verifier/domains/index.js';
import { isSyncedConst } from '../../src/verifier/domains/scalar.js';
import { K8, SEM8, SIZE, abstractValues, gamma, gammaGeneric, members, rng, table, fmt } from './enum.js';

const VALUES = abstractValues(64, 3);

function randomState(r: () => number): Reg<bigint> {
  const b = (w: number): bigint => BigInt(Math.floor(r() * (1 << w)));
  const v = b(8), m = b(8);
  return { value: v & ~m & 0xffn, mask: m, umin: b(8), umax: b(8), smin: b(8), smax: b(8), u32min: b(4), u32max: b(4), s32min: b(4), s32max: b(4) };
}

describe('synchronisation and unary operators are sound (width 8)', () => {
  it('reg_bounds_sync keeps every member, on 20,000 random states', () => {
    const r = rng(11);
    const failures: string[] = [];
    let nonEmpty = 0;
    for (let i = 0; i < 20_000; i++) {
      const s = randomState(r);
      const g = gamma(s);
      const ms = members(g);
      if (ms.length) nonEmpty++;
      const gs = gamma(K8.sync(s));
      for (const x of ms) if (!gs[x] && failures.length < 3) failures.push(`${x} lost by sync of ${fmt(s)} -> ${fmt(K8.sync(s))}`);
    }
    expect(failures).toEqual([]);
    expect(nonEmpty).toBeGreaterThan(100);
  });

  it('the generic concretisation (used by the prover) equals the independent one', () => {
    const r = rng(5);
    for (let i = 0; i < 2_000; i++) {
      const s = i < VALUES.length ? VALUES[i]! : randomState(r);
      expect(Array.from(gammaGeneric(K8, s))).toEqual(Array.from(gamma(s)));
    }
  });

  const unary: [string, (a: Reg<bigint>) => Reg<bigint>, (x: bigint) => bigint][] = [
    ['neg64', (a) => K8.neg(false, a), (x) => SEM8.neg(false, x)],
    ['neg32', (a) => K8.neg(true, a), (x) => SEM8.neg(true, x)],
    ['mov32 (zext)', (a) => K8.mov32(a), (x) => SEM8.mov32(x)],
    ...([8, 16, 32] as const).map((b): [string, (a: Reg<bigint>) => Reg<bigint>, (x: bigint) => bigint] =>
      [`movsx64 s${b}`, (a) => K8.movsx(a, b, false), (x) => SEM8.movsx(x, b, false)]),
    ...([8, 16] as const).map((b): [string, (a: Reg<bigint>) => Reg<bigint>, (x: bigint) => bigint] =>
      [`movsx32 s${b}`, (a) => K8.movsx(a, b, true), (x) => SEM8.movsx(x, b, true)]),
    ...([8, 16, 32] as const).map((b): [string, (a: Reg<bigint>) => Reg<bigint>, (x: bigint) => bigint] =>
      [`truncate u${b}`, (a) => K8.truncate(a, b), (x) => SEM8.truncate(x, b)]),
    ...([8, 16, 32] as const).map((b): [string, (a: Reg<bigint>) => Reg<bigint>, (x: bigint) => bigint] =>
      [`sextLoad s${b}`, (a) => K8.sextLoad(a, b), (x) => SEM8.sextLoad(x, b)]),
  ];
  for (const [name, abs, conc] of unary) {
    it(name, () => {
      const failures: string[] = [];
      let checked = 0;
      for (const a of VALUES) {
        const ms = members(gamma(a));
        const r = abs(a);
        const g = gamma(r);
        for (const x of ms) {
          checked++;
          const z = Number(conc(BigInt(x)));
          if (!g[z] && failures.length < 3) failures.push(`x=${x} -> ${z} not in ${fmt(r)} (from ${fmt(a)})`);
        }
      }
      expect(failures).toEqual([]);
      expect(checked).toBeGreaterThan(1000);
    });
  }

  for (const [name, f, c] of [
    ['ptrAdd', (p: Reg<bigint>, o: Reg<bigint>) => K8.ptrAdd(p, o), (x: bigint, y: bigint) => SEM8.alu('add', false, x, y)],
    ['ptrSub', (p: Reg<bigint>, o: Reg<bigint>) => K8.ptrSub(p, o), (x: bigint, y: bigint) => SEM8.alu('sub', false, x, y)],
  ] as const) {
    it(`pointer offset ${name}`, () => {
      const conc = table(c);
      const failures: string[] = [];
      const ms = VALUES.map((v) => members(gamma(v)));
      VALUES.forEach((a, i) => VALUES.forEach((b, j) => {
        const g = gamma(f(a, b));
        for (const x of ms[i]!) for (const y of ms[j]!) {
          const z = conc[x * SIZE + y]!;
          if (!g[z] && failures.length < 3) failures.push(`${x},${y} -> ${z} not in ${fmt(f(a, b))}`);
        }
      }));
      expect(failures).toEqual([]);
    });
  }
});

/**
 * reg_bounds_sync returns at once on a synchronised constant (isSyncedConst) when running: every
 * step of it must leave such a state unchanged. Checked with an algebra that never reports a
 * condition as known, so that every step runs (as when proving), on every constant at width 8
 * and on sample constants at 64 bits; and the shortcut changes no result on random states.
 */
describe('reg_bounds_sync on a synchronised constant', () => {
  const fullPath = { ...bigintAlgebra, known: (): undefined => undefined };
  const F8 = makeKernel(fullPath, 8);
  const F64 = makeKernel(fullPath, 64);

  it('every step leaves each constant as it is (width 8, all 256; width 64, samples)', () => {
    for (const [F, k, values] of [
      [F8, K8, Array.from({ length: 256 }, (_, i) => BigInt(i))],
      [F64, K64, [0n, 1n, 255n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 1n << 32n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n, 0xdeadbeef12345678n]],
    ] as const) {
      for (const v of values) {
        const c = k.known(v);
        expect(k.A.known(isSyncedConst(k, c))).toBe(true);
        const full = { ...c };
        F.regBoundsSync(full);
        expect(full).toEqual(c);
        const fast = { ...c };
        k.regBoundsSync(fast);
        expect(fast).toEqual(c);
      }
    }
  });

  it('the running sync equals the full one on random states (width 8)', () => {
    const r = rng(23);
    for (let i = 0; i < 20_000; i++) {
      const s = i % 2 ? randomState(r) : K8.known(BigInt(i % 256));
      const a = { ...s };
      const b = { ...s };
      K8.regBoundsSync(a);
      F8.regBoundsSync(b);
      expect(a).toEqual(b);
    }
  });
});

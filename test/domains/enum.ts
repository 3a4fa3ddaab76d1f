/**
 * Exhaustive-enumeration helpers at register width 8 (subregister 4): abstract values built as the
 * tightest abstraction of concrete sets (and deliberately loose variants), their concretisations
 * as 256-entry membership tables, and concrete result tables of the generic semantics.
 */
import { bigintAlgebra, makeKernel, type Kernel, type Reg } from '../../src/verifier/domains/index.js';
import { semantics } from '../../src/smt/semantics.js';

export const N = 8;
export const H = 4;
export const SIZE = 1 << N;
export const K8: Kernel<bigint, boolean> = makeKernel(bigintAlgebra, N);
export const SEM8 = semantics(bigintAlgebra, N);

const sN = (x: number): number => (x << 24) >> 24; // signed 8-bit
const sH = (x: number): number => ((x & 15) << 28) >> 28; // signed 4-bit

/** The tightest abstract value of a non-empty concrete set (every component exact). */
export function alpha(set: readonly number[]): Reg<bigint> {
  let and = 0xff, or = 0;
  let umin = 255, umax = 0, smin = 127, smax = -128;
  let u32min = 15, u32max = 0, s32min = 7, s32max = -8;
  for (const x of set) {
    and &= x; or |= x;
    umin = Math.min(umin, x); umax = Math.max(umax, x);
    smin = Math.min(smin, sN(x)); smax = Math.max(smax, sN(x));
    const l = x & 15;
    u32min = Math.min(u32min, l); u32max = Math.max(u32max, l);
    s32min = Math.min(s32min, sH(l)); s32max = Math.max(s32max, sH(l));
  }
  const b = (v: number, w: number): bigint => BigInt.asUintN(w, BigInt(v));
  return {
    value: b(and, 8), mask: b(and ^ or, 8), umin: b(umin, 8), umax: b(umax, 8), smin: b(smin, 8), smax: b(smax, 8),
    u32min: b(u32min, 4), u32max: b(u32max, 4), s32min: b(s32min, 4), s32max: b(s32max, 4),
  };
}

/** Membership table of γ(r) through the generic concretisation (the one the prover uses). */
export function gammaGeneric(k: Kernel<bigint, boolean>, r: Reg<bigint>): Uint8Array {
  const g = new Uint8Array(SIZE);
  for (let x = 0; x < SIZE; x++) g[x] = k.contains(r, BigInt(x)) ? 1 : 0;
  return g;
}

/** Membership table of γ(r), computed independently with plain numbers (fast). */
export function gamma(r: Reg<bigint>): Uint8Array {
  const v = Number(r.value), m = Number(r.mask);
  const umin = Number(r.umin), umax = Number(r.umax), smin = sN(Number(r.smin)), smax = sN(Number(r.smax));
  const u32min = Number(r.u32min), u32max = Number(r.u32max), s32min = sH(Number(r.s32min)), s32max = sH(Number(r.s32max));
  const g = new Uint8Array(SIZE);
  for (let x = 0; x < SIZE; x++) {
    const l = x & 15, sx = sN(x), sl = sH(l);
    g[x] = (x & ~m & 0xff) === v && x >= umin && x <= umax && sx >= smin && sx <= smax &&
      l >= u32min && l <= u32max && sl >= s32min && sl <= s32max ? 1 : 0;
  }
  return g;
}

export function members(g: Uint8Array): number[] {
  const out: number[] = [];
  for (let x = 0; x < SIZE; x++) if (g[x]) out.push(x);
  return out;
}

/** A deterministic pseudo-random generator (tests must be reproducible). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);

/** Concrete sets whose abstractions exercise constants, ranges on both sides of every sign
 *  boundary, bit patterns and irregular sets. */
export function concreteSets(count: number, seed = 1): number[][] {
  const sets: number[][] = [
    range(0, 255), [0], [1], [0x7f], [0x80], [0xff], [5], [0x0f], [0x10],
    range(0, 15), range(1, 9), range(0x70, 0x90), range(0xf0, 0xff), range(0x78, 0x88), range(0x0e, 0x12),
    range(0, 127), range(128, 255), range(0xfc, 0xff).concat(range(0, 3)),
    range(0, 255).filter((x) => (x & 3) === 0), range(0, 255).filter((x) => (x & 0xf0) === 0x30),
    range(0, 255).filter((x) => (x & 0x81) === 0x81), [3, 200], [0, 0x80], [7, 8, 9, 0x17],
  ];
  const r = rng(seed);
  while (sets.length < count) {
    const kind = Math.floor(r() * 3);
    if (kind === 0) {
      const a = Math.floor(r() * 256), len = Math.floor(r() * 40);
      sets.push(range(a, Math.min(255, a + len)));
    } else if (kind === 1) {
      const v = Math.floor(r() * 256), m = Math.floor(r() * 256) & Math.floor(r() * 256);
      sets.push(range(0, 255).filter((x) => (x & ~m & 0xff) === (v & ~m & 0xff)));
    } else {
      const len = 1 + Math.floor(r() * 6);
      sets.push(Array.from({ length: len }, () => Math.floor(r() * 256)));
    }
  }
  return sets.slice(0, count);
}

/** Abstract values: tight abstractions, plus loose ones where one component was forgotten. */
export function abstractValues(count: number, seed = 1): Reg<bigint>[] {
  const out: Reg<bigint>[] = [];
  const sets = concreteSets(count, seed);
  sets.forEach((s, i) => {
    const a = alpha(s);
    if (i % 4 === 1) { a.value = 0n; a.mask = 0xffn; }
    else if (i % 4 === 2) { a.smin = 0x80n; a.smax = 0x7fn; a.u32min = 0n; a.u32max = 15n; }
    else if (i % 4 === 3) { a.umin = 0n; a.umax = 0xffn; a.s32min = 8n; a.s32max = 7n; }
    out.push(a);
  });
  return out;
}

/** Concrete result table of a binary operation: table[x * 256 + y]. */
export function table(f: (x: bigint, y: bigint) => bigint): Uint8Array {
  const t = new Uint8Array(SIZE * SIZE);
  for (let x = 0; x < SIZE; x++) for (let y = 0; y < SIZE; y++) t[x * SIZE + y] = Number(f(BigInt(x), BigInt(y)));
  return t;
}

export function boolTable(f: (x: bigint, y: bigint) => boolean): Uint8Array {
  const t = new Uint8Array(SIZE * SIZE);
  for (let x = 0; x < SIZE; x++) for (let y = 0; y < SIZE; y++) t[x * SIZE + y] = f(BigInt(x), BigInt(y)) ? 1 : 0;
  return t;
}

export function fmt(r: Reg<bigint>): string {
  return `{var=(${r.value.toString(16)};${r.mask.toString(16)}) u=[${r.umin},${r.umax}] s=[${BigInt.asIntN(8, r.smin)},${BigInt.asIntN(8, r.smax)}] u32=[${r.u32min},${r.u32max}] s32=[${BigInt.asIntN(4, r.s32min)},${BigInt.asIntN(4, r.s32max)}]}`;
}

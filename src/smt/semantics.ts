/**
 * The concrete semantics of the eBPF ALU and jump operations (RFC 9669), over the same bit-vector
 * algebra as the domains: as Z3 terms for the proofs, as bigint for replaying counterexamples and
 * for the exhaustive tests. N is the register width (64; scaled down in tests), H = N / 2 the
 * 32-bit subregister. Division by zero gives 0, modulo by zero leaves the dividend, shift amounts
 * are masked to the operation's width, and every 32-bit result is zero-extended.
 */
import type { Algebra } from '../verifier/domains/algebra.js';
import { byteSwap, extend } from '../verifier/domains/algebra.js';
import type { AluOp } from '../verifier/domains/alu.js';
import type { JmpOp } from '../verifier/domains/branch.js';

export interface Semantics<T, B> {
  readonly N: number;
  alu(op: AluOp, alu32: boolean, x: T, y: T): T;
  neg(alu32: boolean, x: T): T;
  /** w = w */
  mov32(x: T): T;
  /** r = (sX) r / w = (sX) w with bits in the 64-bit model (8/16/32). */
  movsx(x: T, bits64: number, alu32: boolean): T;
  /** Zero-extending narrow load of the low bits (bits of the 64-bit model). */
  truncate(x: T, bits64: number): T;
  /** Sign-extending narrow load. */
  sextLoad(x: T, bits64: number): T;
  /** bswap / le / be at 16/32/64 bits on a little-endian machine. */
  end(x: T, bits64: number, kind: 'le' | 'be' | 'bswap'): T;
  /** The jump condition "x <op> y" (jmp32: on the low halves). */
  cond(op: JmpOp, jmp32: boolean, x: T, y: T): B;
}

export function semantics<T, B>(A: Algebra<T, B>, N = 64): Semantics<T, B> {
  const H = N / 2;
  const n = extend(A, A.bv(N));
  const h = extend(A, A.bv(H));
  const scaled = (bits64: number): number => (bits64 * N) / 64;
  const lo = (x: T): T => A.trunc(x, N, H);
  const zx = (x: T): T => A.zext(x, H, N);
  function op1(v: typeof n, op: AluOp, x: T, y: T): T {
    const m = v.c(v.w - 1);
    switch (op) {
      case 'add': return v.add(x, y);
      case 'sub': return v.sub(x, y);
      case 'mul': return v.mul(x, y);
      case 'and': return v.and(x, y);
      case 'or': return v.or(x, y);
      case 'xor': return v.xor(x, y);
      case 'lsh': return v.shl(x, v.and(y, m));
      case 'rsh': return v.lshr(x, v.and(y, m));
      case 'arsh': return v.ashr(x, v.and(y, m));
      case 'div': return v.ite(v.isZero(y), v.zero, v.udiv(x, y));
      case 'mod': return v.ite(v.isZero(y), x, v.urem(x, y));
      case 'sdiv': return v.ite(v.isZero(y), v.zero, v.sdiv(x, y));
      case 'smod': return v.ite(v.isZero(y), x, v.srem(x, y));
    }
  }
  return {
    N,
    alu: (op, alu32, x, y) => (alu32 ? zx(op1(h, op, lo(x), lo(y))) : op1(n, op, x, y)),
    neg: (alu32, x) => (alu32 ? zx(h.neg(lo(x))) : n.neg(x)),
    mov32: (x) => zx(lo(x)),
    movsx(x, bits64, alu32) {
      const b = scaled(bits64);
      if (!alu32) return A.sext(A.trunc(x, N, b), b, N);
      return zx(A.sext(A.trunc(x, N, b), b, H));
    },
    truncate: (x, bits64) => {
      const b = scaled(bits64);
      return b >= N ? x : A.zext(A.trunc(x, N, b), b, N);
    },
    sextLoad: (x, bits64) => {
      const b = scaled(bits64);
      return A.sext(A.trunc(x, N, b), b, N);
    },
    // A "byte" is N / 8 bits (8 at N = 64), so byte swaps scale with the register like sizes do.
    end(x, bits64, kind) {
      const b = scaled(bits64);
      const low = b >= N ? x : A.zext(A.trunc(x, N, b), b, N);
      return kind === 'le' ? low : byteSwap(n, low, b, N / 8);
    },
    cond(op, jmp32, x0, y0) {
      const v = jmp32 ? h : n;
      const x = jmp32 ? lo(x0) : x0;
      const y = jmp32 ? lo(y0) : y0;
      switch (op) {
        case 'jeq': return v.eq(x, y);
        case 'jne': return v.ne(x, y);
        case 'jset': return v.ne(v.and(x, y), v.zero);
        case 'jgt': return v.ugt(x, y);
        case 'jge': return v.uge(x, y);
        case 'jlt': return v.ult(x, y);
        case 'jle': return v.ule(x, y);
        case 'jsgt': return v.sgt(x, y);
        case 'jsge': return v.sge(x, y);
        case 'jslt': return v.slt(x, y);
        case 'jsle': return v.sle(x, y);
      }
    },
  };
}

/**
 * 64-bit terms for the path encoding: a Z3 bit-vector plus its value when it is a constant.
 * Constants are folded in bigint with the same concrete semantics (src/smt/semantics.ts over the
 * bigint algebra) so that paths full of constants stay small for Z3, and so that offsets the
 * machine must know exactly (stack slots, ctx fields) are known without asking the solver.
 */
import type { AluOp } from '../../verifier/domains/alu.js';
import type { JmpOp } from '../../verifier/domains/branch.js';
import { bigintAlgebra } from '../../verifier/domains/bigint.js';
import { semantics, type Semantics } from '../semantics.js';
import { z3Algebra, type Z3Ctx, type ZB, type ZT } from '../z3-algebra.js';

export interface Term {
  readonly z: ZT;
  /** The unsigned value when the term is a constant. */
  readonly c: bigint | undefined;
}

export const MASK64 = (1n << 64n) - 1n;

/** A constant: its Z3 numeral is made only when a formula needs it (most constants fold away, and numerals cost). */
class ConstTerm implements Term {
  private zv: ZT | undefined;
  constructor(private readonly Z: Z3Ctx, readonly c: bigint) {}
  get z(): ZT {
    return (this.zv ??= this.Z.BitVec.val(this.c, 64));
  }
}

/** Term constructors and the eBPF operations over terms, for one Z3 context. */
export class Terms {
  readonly Z: Z3Ctx;
  private readonly zs: Semantics<ZT, ZB>;
  private readonly bs: Semantics<bigint, boolean>;
  readonly tt: ZB;
  readonly ff: ZB;
  private fresh = 0;

  constructor(Z: Z3Ctx) {
    this.Z = Z;
    this.zs = semantics(z3Algebra(Z), 64);
    this.bs = semantics(bigintAlgebra, 64);
    this.tt = Z.Bool.val(true);
    this.ff = Z.Bool.val(false);
  }

  k(v: bigint | number): Term {
    return new ConstTerm(this.Z, BigInt.asUintN(64, BigInt(v)));
  }

  /** A fresh unconstrained 64-bit variable (names are made unique). */
  var(name: string): Term {
    return { z: this.Z.BitVec.const(`${name}!${this.fresh++}`, 64), c: undefined };
  }

  of(z: ZT): Term {
    return { z, c: this.Z.isBitVecVal(z) ? z.value() : undefined };
  }

  alu(op: AluOp, alu32: boolean, x: Term, y: Term): Term {
    if (x.c !== undefined && y.c !== undefined) return this.k(this.bs.alu(op, alu32, x.c, y.c));
    return { z: this.zs.alu(op, alu32, x.z, y.z), c: undefined };
  }

  neg(alu32: boolean, x: Term): Term {
    return x.c !== undefined ? this.k(this.bs.neg(alu32, x.c)) : { z: this.zs.neg(alu32, x.z), c: undefined };
  }

  mov32(x: Term): Term {
    return x.c !== undefined ? this.k(this.bs.mov32(x.c)) : { z: this.zs.mov32(x.z), c: undefined };
  }

  movsx(x: Term, bits: number, alu32: boolean): Term {
    return x.c !== undefined ? this.k(this.bs.movsx(x.c, bits, alu32)) : { z: this.zs.movsx(x.z, bits, alu32), c: undefined };
  }

  end(x: Term, bits: number, kind: 'le' | 'be' | 'bswap'): Term {
    return x.c !== undefined ? this.k(this.bs.end(x.c, bits, kind)) : { z: this.zs.end(x.z, bits, kind), c: undefined };
  }

  cond(op: JmpOp, jmp32: boolean, x: Term, y: Term): ZB {
    if (x.c !== undefined && y.c !== undefined) return this.Z.Bool.val(this.bs.cond(op, jmp32, x.c, y.c));
    return this.zs.cond(op, jmp32, x.z, y.z);
  }

  add(x: Term, y: Term): Term {
    return this.alu('add', false, x, y);
  }

  sub(x: Term, y: Term): Term {
    return this.alu('sub', false, x, y);
  }

  addk(x: Term, n: number | bigint): Term {
    return n === 0 || n === 0n ? x : this.add(x, this.k(n));
  }

  /** Zero-extends a narrower bit-vector to a 64-bit term. */
  zext(z: ZT, bits: number): Term {
    return this.of(bits >= 64 ? z : z.zeroExt(64 - bits));
  }

  sext(z: ZT, bits: number): Term {
    return this.of(bits >= 64 ? z : z.signExt(64 - bits));
  }

  eq(x: Term, y: Term): ZB {
    if (x.c !== undefined && y.c !== undefined) return this.Z.Bool.val(x.c === y.c);
    return x.z.eq(y.z);
  }

  /** x <= y, signed. */
  sle(x: Term, y: Term): ZB {
    if (x.c !== undefined && y.c !== undefined) return this.Z.Bool.val(BigInt.asIntN(64, x.c) <= BigInt.asIntN(64, y.c));
    return x.z.sle(y.z);
  }

  ule(x: Term, y: Term): ZB {
    if (x.c !== undefined && y.c !== undefined) return this.Z.Bool.val(x.c <= y.c);
    return x.z.ule(y.z);
  }

  and(...xs: ZB[]): ZB {
    const ys = xs.filter((x) => !this.Z.isTrue(x));
    if (ys.some((x) => this.Z.isFalse(x))) return this.ff;
    return ys.length === 0 ? this.tt : ys.length === 1 ? ys[0]! : this.Z.And(...ys);
  }

  or(...xs: ZB[]): ZB {
    const ys = xs.filter((x) => !this.Z.isFalse(x));
    if (ys.some((x) => this.Z.isTrue(x))) return this.tt;
    return ys.length === 0 ? this.ff : ys.length === 1 ? ys[0]! : this.Z.Or(...ys);
  }

  not(x: ZB): ZB {
    return this.Z.isTrue(x) ? this.ff : this.Z.isFalse(x) ? this.tt : this.Z.Not(x);
  }

  ite(c: ZB, a: Term, b: Term): Term {
    if (this.Z.isTrue(c)) return a;
    if (this.Z.isFalse(c)) return b;
    return { z: this.Z.If(c, a.z, b.z) as ZT, c: undefined };
  }
}

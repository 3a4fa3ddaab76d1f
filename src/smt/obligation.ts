/**
 * The shape of a proof obligation (obligations.ts has the operator obligations, jit-templates.ts
 * those of the JIT's templates).
 */
import type { Kernel } from '../verifier/domains/kernel.js';
import type { Reg } from '../verifier/domains/scalar.js';
import type { Semantics } from './semantics.js';
import type { Z3Ctx, ZB } from './z3-algebra.js';
import type { ZI, ZIB } from './int-algebra.js';

export interface Built<T, B> {
  premise: B;
  /** All must hold; the prover checks them one at a time (smaller queries). */
  conclusion: B[];
  /**
   * Facts proven first, each its own query under the premise, then added to the premise of the
   * conclusion's queries (sound: consequences of the premise). They let a conclusion that needs
   * all of them at once (the antecedent of a lemma instance) be proven in small queries.
   */
  stages?: B[];
  /** Abstract results, shown with a counterexample. */
  outputs: Record<string, Reg<T>>;
}

export interface Obligation {
  readonly name: string;
  readonly group: 'alu' | 'unary' | 'sync' | 'branch' | 'pointer' | 'tnum' | 'jit' | 'optimal';
  /** Abstract register inputs (a0, a1, ...) and concrete inputs (x0, x1, ...). */
  readonly abstract: number;
  readonly concrete: number;
  /**
   * The only width the statement is made at, whatever width is requested: 64 for the JIT's
   * templates (WebAssembly's i64 registers), 0 for lemmas over unbounded integers.
   */
  readonly fixedWidth?: number;
  /**
   * Widest width worth trying when falling back from 64: wider attempts are known to exceed any
   * practical budget (measured; proofs/README.md), so they would only spend the run's time.
   */
  readonly startWidth?: number;
  /** Narrowest width the statement means something at. */
  readonly minWidth?: number;
  /**
   * Proven with reg_bounds_sync replaced by the identity. Sound by composition: the sync
   * lemmas (group 'sync') prove every step of reg_bounds_sync keeps every member of any input
   * state, and this obligation holds for any input state, so it also holds after sync.
   */
  readonly moduloSync?: boolean;
  /**
   * 'int': proven in the integer instantiation of the algebra (int-algebra.ts: exact arithmetic
   * mod 2^w, bitwise operations uninterpreted), for products of symbolic values.
   */
  readonly arith?: 'int';
  /**
   * Multiplier of the run's per-attempt budget, for obligations made of many queries that need
   * more than the default in total (the JIT's loads/stores through pointers: 20-30 queries each).
   */
  readonly budgetScale?: number;
  /** Another obligation this one relies on (assume-guarantee), named in the table. */
  readonly assumes?: string;
  build<T, B>(k: Kernel<T, B>, sem: Semantics<T, B>, a: Reg<T>[], x: T[]): Built<T, B>;
  /**
   * A statement built directly in Z3 (integer lemmas; the JIT templates, whose formulas come from
   * executing emitted code symbolically) at width N (0 for ℤ): the negations of its parts, proved
   * when each is unsat.
   */
  lemma?(Z: Z3Ctx, N: number): ZB[];
  /**
   * Instances of lemmas proven separately (named in `assumes`), added to the premise of an
   * obligation proven in the integer instantiation (arith 'int'): facts about its terms the
   * algebra cannot state (integer products of the signed values).
   */
  intFacts?(Z: Z3Ctx, k: Kernel<ZI, ZIB>, a: Reg<ZI>[], x: ZI[]): ZIB[];
}

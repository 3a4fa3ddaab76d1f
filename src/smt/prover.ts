/**
 * Runs proof obligations with Z3: asserts "premise and not conclusion" over fresh bit-vector
 * inputs; unsat proves the operator sound at that width, sat gives a counterexample, which is
 * replayed with the bigint instantiation of the same operators (it must show the violation).
 * A per-obligation time budget falls back to narrower widths (64 -> 32 -> 16 -> 8 -> 4 for `bpflab prove`).
 */
import { bigintAlgebra } from '../verifier/domains/bigint.js';
import { makeKernel, type Kernel } from '../verifier/domains/kernel.js';
import { HALF_FIELDS, REG_FIELDS, type Reg } from '../verifier/domains/scalar.js';
import type { Obligation } from './obligations.js';
import { semantics } from './semantics.js';
import { z3Algebra, type Z3Handle, type ZB, type ZT } from './z3-algebra.js';
import { intAlgebra, type ZI, type ZIB } from './int-algebra.js';

/** n/a: the obligation does not apply at any requested width (not a failure). */
export type Verdict = 'proved' | 'failed' | 'timeout' | 'error' | 'n/a';

export interface Counterexample {
  abstract: Record<string, string>[];
  concrete: string[];
  outputs: Record<string, Record<string, string>>;
  /** Replayed with the running (bigint) operators: premise held and conclusion failed. */
  replayed: boolean;
}

export interface Attempt {
  width: number;
  verdict: Verdict;
  seconds: number;
  counterexample?: Counterexample;
  /** CPU seconds of the worker process (all its threads), when proven in a worker. */
  cpu?: number;
  /** For obligations stated directly in Z3 (lemma): the satisfying model of a refuted part. */
  model?: string;
  error?: string;
}

export interface ProofResult {
  name: string;
  group: string;
  /** The width of the deciding attempt (proved or failed), else the last tried. */
  width: number;
  verdict: Verdict;
  seconds: number;
  attempts: Attempt[];
  counterexample?: Counterexample;
  /** Lemma this proof relies on. */
  assumes?: string;
  /** CPU seconds over all attempts (worker processes only). */
  cpu?: number;
}

/** Replaces parts of the kernel table (dependency injection, used by the mutation test). */
export type Patch = <T, B>(k: Kernel<T, B>) => void;

export interface ProveOptions {
  /** Widths to try in order; the first proved or failed one decides. */
  widths: readonly number[];
  /** Time budget per attempt, milliseconds. */
  timeoutMs: number;
  patch?: Patch;
}

/** The user's patch, then reg_bounds_sync as the identity for obligations proven modulo sync. */
function withModulo(ob: Obligation, patch: Patch | undefined): Patch | undefined {
  if (!ob.moduloSync) return patch;
  return (k) => {
    patch?.(k);
    k.regBoundsSync = () => {};
  };
}

function fieldWidth(f: string, N: number): number {
  return HALF_FIELDS.has(f) ? N / 2 : N;
}

function hexReg(r: Reg<bigint>): Record<string, string> {
  const o: Record<string, string> = {};
  for (const f of REG_FIELDS) o[f] = '0x' + r[f].toString(16);
  return o;
}

/** One attempt at one width. */
export async function proveAt(z: Z3Handle, ob: Obligation, N: number, timeoutMs: number, patch?: Patch): Promise<Attempt> {
  const t0 = performance.now();
  const secs = (): number => (performance.now() - t0) / 1000;
  try {
    const Z = z.ctx;
    if (ob.lemma) {
      const deadline = performance.now() + timeoutMs;
      for (const negated of ob.lemma(Z, N)) {
        if (Z.isFalse(negated)) continue;
        const left = Math.floor(deadline - performance.now());
        if (left <= 0) return { width: N, verdict: 'timeout', seconds: secs() };
        const solver = new Z.Solver();
        solver.set('timeout', left);
        solver.add(negated);
        const res = await solver.check();
        if (res === 'unknown') return { width: N, verdict: 'timeout', seconds: secs() };
        if (res === 'sat') return { width: N, verdict: 'failed', seconds: secs(), model: solver.model().sexpr() };
      }
      return { width: N, verdict: 'proved', seconds: secs() };
    }
    if (ob.arith === 'int') return await proveInt(Z, ob, N, timeoutMs, patch, t0);
    const A = z3Algebra(Z);
    const k = makeKernel(A, N, withModulo(ob, patch));
    const sem = semantics(A, N);
    const a: Reg<ZT>[] = [];
    for (let i = 0; i < ob.abstract; i++) {
      const r = {} as Record<string, ZT>;
      for (const f of REG_FIELDS) r[f] = Z.BitVec.const(`a${i}_${f}`, fieldWidth(f, N));
      a.push(r as unknown as Reg<ZT>);
    }
    const x: ZT[] = [];
    for (let i = 0; i < ob.concrete; i++) x.push(Z.BitVec.const(`x${i}`, N));
    const built = ob.build(k, sem, a, x);
    // One query per conjunct of the conclusion: each is far smaller than their conjunction.
    // The stages come first; once proven they join the premise of the conclusion's queries.
    const deadline = performance.now() + timeoutMs;
    let model: ReturnType<InstanceType<typeof Z.Solver>['model']> | undefined;
    const stages = built.stages ?? [];
    const goals = [...stages.map((g) => ({ g, known: [] as unknown[] })), ...built.conclusion.map((g) => ({ g, known: stages as unknown[] }))];
    for (const { g: goal, known } of goals) {
      if (Z.isTrue(goal)) continue;
      const left = Math.floor(deadline - performance.now());
      if (left <= 0) return { width: N, verdict: 'timeout', seconds: secs() };
      const solver = new Z.Solver('QF_BV');
      solver.set('timeout', left);
      solver.add(built.premise as ZB, ...(known as ZB[]), Z.Not(goal as ZB));
      const res = await solver.check();
      if (res === 'unknown') return { width: N, verdict: 'timeout', seconds: secs() };
      if (res === 'sat') {
        model = solver.model();
        break;
      }
    }
    if (!model) return { width: N, verdict: 'proved', seconds: secs() };
    const m = model;
    const val = (e: ZT, w: number): bigint => {
      const v = m.eval(e, true);
      return Z.isBitVecVal(v) ? v.value() : BigInt.asUintN(w, 0n);
    };
    const ab: Reg<bigint>[] = a.map((r) => {
      const o = {} as Record<string, bigint>;
      for (const f of REG_FIELDS) o[f] = val(r[f], fieldWidth(f, N));
      return o as unknown as Reg<bigint>;
    });
    const xb = x.map((e) => val(e, N));
    const counterexample = replay(ob, N, ab, xb, patch);
    return { width: N, verdict: 'failed', seconds: secs(), counterexample };
  } catch (e) {
    return { width: N, verdict: 'error', seconds: secs(), error: e instanceof Error ? e.message : String(e) };
  }
}

/** Runs the obligation on concrete inputs with the bigint operators (the code that runs). */
export function replay(ob: Obligation, N: number, a: Reg<bigint>[], x: bigint[], patch?: Patch): Counterexample {
  const k = makeKernel(bigintAlgebra, N, withModulo(ob, patch));
  const built = ob.build(k, semantics(bigintAlgebra, N), a, x);
  const outputs: Record<string, Record<string, string>> = {};
  for (const [name, r] of Object.entries(built.outputs)) outputs[name] = hexReg(r);
  return {
    abstract: a.map(hexReg),
    concrete: x.map((v) => '0x' + v.toString(16)),
    outputs,
    replayed: built.premise && !(built.stages ?? []).concat(built.conclusion).every((c) => c),
  };
}

/** Tries the widths in order until one decides. */
export async function prove(z: Z3Handle, ob: Obligation, opts: ProveOptions): Promise<ProofResult> {
  const attempts: Attempt[] = [];
  for (const w of widthsFor(ob, opts.widths)) {
    const at = await proveAt(z, ob, w, opts.timeoutMs, opts.patch);
    attempts.push(at);
    if (at.verdict === 'proved' || at.verdict === 'failed') break;
  }
  return resultOf(ob, attempts);
}

/** The result of an obligation from its attempts (none: n/a at every requested width). */
export function resultOf(ob: Obligation, attempts: Attempt[]): ProofResult {
  const base = { name: ob.name, group: ob.group, attempts, ...(ob.assumes ? { assumes: ob.assumes } : {}) };
  if (attempts.length === 0) return { ...base, width: 0, verdict: 'n/a', seconds: 0 };
  const last = attempts.find((t) => t.verdict === 'proved' || t.verdict === 'failed') ?? attempts[attempts.length - 1]!;
  return {
    ...base,
    width: last.width,
    verdict: last.verdict,
    seconds: attempts.reduce((s, t) => s + t.seconds, 0),
    ...(attempts.some((t) => t.cpu !== undefined) ? { cpu: attempts.reduce((s, t) => s + (t.cpu ?? 0), 0) } : {}),
    ...(last.counterexample ? { counterexample: last.counterexample } : {}),
  };
}

/** The widths to try for an obligation: its fixed width, or the requested ones it applies at. */
export function widthsFor(ob: Obligation, widths: readonly number[]): number[] {
  if (ob.fixedWidth !== undefined) return [ob.fixedWidth];
  const fit = widths.filter((w) => !(ob.minWidth && w < ob.minWidth));
  // Start at startWidth only when falling back (an explicit single width is always honoured).
  return ob.startWidth && fit.length > 1 ? fit.filter((w) => w <= ob.startWidth!) : fit;
}

/** proveAt for obligations in the integer instantiation (inputs range over [0, 2^w)). */
async function proveInt(Z: Z3Handle['ctx'], ob: Obligation, N: number, timeoutMs: number, patch: Patch | undefined, t0: number): Promise<Attempt> {
  const secs = (): number => (performance.now() - t0) / 1000;
  const A = intAlgebra(Z);
  const k = makeKernel(A, N, withModulo(ob, patch));
  const sem = semantics(A, N);
  const dom: ZIB[] = [];
  const mk = (name: string, w: number): ZI => {
    const v = Z.Int.const(name);
    dom.push(v.ge(0), v.lt(Z.Int.val(1n << BigInt(w))));
    return v;
  };
  const a: Reg<ZI>[] = [];
  for (let i = 0; i < ob.abstract; i++) {
    const r = {} as Record<string, ZI>;
    for (const f of REG_FIELDS) r[f] = mk(`a${i}_${f}`, fieldWidth(f, N));
    a.push(r as unknown as Reg<ZI>);
  }
  const x: ZI[] = [];
  for (let i = 0; i < ob.concrete; i++) x.push(mk(`x${i}`, N));
  const built = ob.build(k, sem, a, x);
  const facts = ob.intFacts?.(Z, k, a, x) ?? [];
  const deadline = performance.now() + timeoutMs;
  for (const goal of built.conclusion) {
    if (Z.isTrue(goal)) continue;
    const left = Math.floor(deadline - performance.now());
    if (left <= 0) return { width: N, verdict: 'timeout', seconds: secs() };
    const solver = new Z.Solver();
    solver.set('timeout', left);
    solver.add(...dom, built.premise, ...facts, Z.Not(goal));
    const res = await solver.check();
    if (res === 'unknown') return { width: N, verdict: 'timeout', seconds: secs() };
    if (res === 'sat') {
      const m = solver.model();
      const val = (e: ZI): bigint => { const v = m.eval(e, true); return Z.isIntVal(v) ? v.value() : 0n; };
      const ab = a.map((r) => { const o = {} as Record<string, bigint>; for (const f of REG_FIELDS) o[f] = val(r[f]); return o as unknown as Reg<bigint>; });
      return { width: N, verdict: 'failed', seconds: secs(), counterexample: replay(ob, N, ab, x.map(val), patch) };
    }
  }
  return { width: N, verdict: 'proved', seconds: secs() };
}

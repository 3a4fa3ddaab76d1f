/**
 * The proof obligations: one per abstract operator, each a soundness statement
 *   for all abstract a, b and concrete x in γ(a), y in γ(b):  op(x, y) in γ(op♯(a, b))
 * written over the algebra, so the same obligation is a Z3 formula (to prove), a bigint
 * computation (to replay a counterexample), and runs against any kernel table (to prove a
 * substituted operator in the mutation test).
 */
import type { Kernel } from '../verifier/domains/kernel.js';
import { assignReg, copyReg, type Reg } from '../verifier/domains/scalar.js';
import { ALU_OPS, type AluOp } from '../verifier/domains/alu.js';
import { JMP_OPS, type JmpOp } from '../verifier/domains/branch.js';
import type { Obligation } from './obligation.js';
import { jitObligations } from './jit-templates.js';
import { memoryObligations } from './jit-memory.js';
import { atomicObligations } from './jit-atomics.js';
import { ldAbsObligations } from './jit-ldabs.js';
import { callObligations } from './jit-calls.js';
import { controlObligations } from './jit-control.js';
import { optimalityObligations } from './optimality.js';
import { mulObligations } from './mul.js';
import type { Semantics } from './semantics.js';

export type { Built, Obligation } from './obligation.js';

const inAll = <T, B>(k: Kernel<T, B>, a: Reg<T>[], x: T[]): B => k.A.and(...a.map((r, i) => k.contains(r, x[i]!)));
const r0 = <T>(a: Reg<T>[], i: number): Reg<T> => a[i]!;
const v0 = <T>(x: T[], i: number): T => x[i]!;

/**
 * add/sub/and/or/xor (ALU) and add/sub (pointer): var_off is tnum_<op> of the inputs' var_offs,
 * whose soundness is the tnum.<op> lemma. Re-proving the tnum reasoning inside every
 * whole-operation obligation costs most of its time (alu64.or: 24 s of 28 in its tnum and umax
 * conjuncts), so, as for mul, the tnum result is an extra abstract input m constrained only by
 * the lemma (x op y in γ(m)), and the ranges (computed from that var_off, as and/or/xor do),
 * zero-extension and composition are proven around it (assume-guarantee). The substitution is
 * checked to replace exactly the one call on the two inputs' var_offs (any other call would need
 * its own instance of the lemma).
 */
type LemmaOp = 'add' | 'sub' | 'and' | 'or' | 'xor';
function withTnumLemma(op: LemmaOp, whole: <T, B>(k: Kernel<T, B>, a: Reg<T>[]) => Reg<T>, concrete: <T, B>(sem: Semantics<T, B>, x: T[]) => T): Pick<Obligation, 'abstract' | 'assumes' | 'build'> {
  return {
    abstract: 3, assumes: `tnum.${op}`,
    build(k, sem, a, x) {
      const orig = k.t;
      const m = r0(a, 2);
      let calls = 0;
      k.t = { ...orig, [op]: (p: Reg<unknown>, q: Reg<unknown>) => {
        calls++;
        if (p.value !== a[0]!.value || p.mask !== a[0]!.mask || q.value !== a[1]!.value || q.mask !== a[1]!.mask) throw new Error(`tnum.${op} lemma: tnum_${op} called on other than the inputs' var_offs`);
        return { value: m.value, mask: m.mask };
      } };
      try {
        const r = whole(k, a);
        if (calls !== 1) throw new Error(`tnum.${op} lemma: tnum_${op} called ${calls} times`);
        const full = k.n[op](v0(x, 0), v0(x, 1));
        const premise = k.A.and(inAll(k, a.slice(0, 2), x), orig.contains(m, full));
        return { premise, conclusion: k.containsParts(r, concrete(sem, x)), outputs: { result: r } };
      } finally {
        k.t = orig;
      }
    },
  };
}

/**
 * Operations whose own code ends in __update_reg_bounds (bitwise64, the 64-bit shifts) run 6.18.y's
 * single-value check (two tnum_step searches) before reg_bounds_sync: re-proving it inside the
 * operation took alu64.lsh from 22 s to beyond 300 s. Its soundness is the sync.single_value lemma (for
 * every state r and value v: v ∈ γ(r) ⇒ v ∈ γ(single(r))), so the step's result is an extra
 * abstract input m constrained by the lemma's instance at the state the code passes it and at the
 * concrete result (assume-guarantee); the code before and after the step is the code that runs.
 */
function withSingleValueLemma(
  whole: <T, B>(k: Kernel<T, B>, a: Reg<T>[]) => Reg<T>,
  concrete: <T, B>(sem: Semantics<T, B>, x: T[]) => T,
  guard: <T, B>(k: Kernel<T, B>, a: Reg<T>[]) => B,
): Pick<Obligation, 'abstract' | 'assumes' | 'build'> {
  return {
    abstract: 3, assumes: 'sync.single_value',
    build(k, sem, a, x) {
      const { A } = k;
      const orig = k.reg64SingleValue;
      const m = r0(a, 2);
      let before: Reg<typeof m.value> | undefined;
      k.reg64SingleValue = (r) => {
        if (before) throw new Error('the single-value step runs more than once: one lemma input per call is needed');
        before = copyReg(r);
        assignReg(r, copyReg(m));
      };
      try {
        const r = whole(k, a);
        const v = concrete(sem, x);
        if (!before) throw new Error('the single-value step did not run');
        // Stages: where the operation's result is used (guard), the state the step receives holds
        // the result, part by part; the conclusion's queries then only follow the lemma's instance.
        const premise = A.and(inAll(k, a.slice(0, 2), x), A.implies(A.and(...k.containsParts(before, v)), A.and(...k.containsParts(m, v))));
        const g = guard(k, a);
        return { premise, stages: k.containsParts(before, v).map((p) => A.implies(g, p)), conclusion: k.containsParts(r, v), outputs: { result: r } };
      } finally {
        k.reg64SingleValue = orig;
      }
    },
  };
}

/** The 64-bit operations whose own code runs __update_reg_bounds (bitwise64, the shifts). */
const SINGLE_VALUE_OPS: ReadonlySet<AluOp> = new Set(['and', 'or', 'xor', 'lsh', 'rsh', 'arsh']);

function alu(op: Exclude<AluOp, 'mul'>, alu32: boolean): Obligation {
  const name = `alu${alu32 ? 32 : 64}.${op}`;
  if (op === 'add' || op === 'sub' || op === 'and' || op === 'or' || op === 'xor') {
    return { name, group: 'alu', concrete: 2, moduloSync: true,
      ...withTnumLemma(op, (k, a) => k.alu(op, alu32, r0(a, 0), r0(a, 1)), (sem, x) => sem.alu(op, alu32, v0(x, 0), v0(x, 1))) };
  }
  if (!alu32 && SINGLE_VALUE_OPS.has(op)) {
    // Guard: is_safe_to_compute_dst_reg_range (the shifts' state is used only for a constant
    // amount below the width; the bitwise operations' ranges hold the result always).
    return { name, group: 'alu', concrete: 2, moduloSync: true,
      ...withSingleValueLemma((k, a) => k.alu(op, alu32, r0(a, 0), r0(a, 1)), (sem, x) => sem.alu(op, alu32, v0(x, 0), v0(x, 1)),
        (k, a) => k.safeToCompute(op, alu32, r0(a, 1))) };
  }
  return {
    name, group: 'alu', abstract: 2, concrete: 2, moduloSync: true,
    build(k, sem, a, x) {
      const r = k.alu(op, alu32, r0(a, 0), r0(a, 1));
      return { premise: inAll(k, a, x), conclusion: k.containsParts(r, sem.alu(op, alu32, v0(x, 0), v0(x, 1))), outputs: { result: r } };
    },
  };
}

function unary(name: string, abs: <T, B>(k: Kernel<T, B>, a: Reg<T>) => Reg<T>, conc: <T, B>(s: Semantics<T, B>, x: T) => T, minWidth?: number): Obligation {
  return {
    name, group: 'unary', abstract: 1, concrete: 1, moduloSync: true, ...(minWidth ? { minWidth } : {}),
    build(k, sem, a, x) {
      const r = abs(k, r0(a, 0));
      return { premise: inAll(k, a, x), conclusion: k.containsParts(r, conc(sem, v0(x, 0))), outputs: { result: r } };
    },
  };
}

/**
 * Transitivity of the four orders (unsigned and signed, at the register's and the subregister's
 * width): a ≤ x ∧ y ≤ b ∧ b < a ⇒ y < x, and with b ≤ a, y ≤ x. Proven once; the decide
 * obligations take its instances at the inputs' bounds as premises. A SAT solver finds a chain of
 * three bit-blasted 64-bit comparisons hard: jeq.decide took 12-30 s of CPU (500 s in one run),
 * 0.2-0.9 s with the instances.
 */
function orderTransitivity(): Obligation {
  return {
    name: 'order.trans', group: 'branch', abstract: 0, concrete: 0,
    build(k) { return { premise: k.A.tt, conclusion: [], outputs: {} }; },
    lemma(Z, N) {
      const goals: ReturnType<typeof Z.Bool.val>[] = [];
      for (const w of [N, N / 2]) for (const signed of [false, true]) {
        const [a, x, y, b] = ['a', 'x', 'y', 'b'].map((v) => Z.BitVec.const(v, w));
        const le = (p: typeof a, q: typeof a) => (signed ? p!.sle(q!) : p!.ule(q!));
        const lt = (p: typeof a, q: typeof a) => (signed ? p!.slt(q!) : p!.ult(q!));
        goals.push(Z.And(le(a, x), le(y, b), lt(b, a), Z.Not(lt(y, x))), Z.And(le(a, x), le(y, b), le(b, a), Z.Not(le(y, x))));
      }
      return goals;
    },
  };
}

/** The instances of order.trans at two registers' bounds: lo_i ≤ x_i ∧ x_j ≤ hi_j ∧ hi_j <(=) lo_i ⇒ x_j <(=) x_i, for each of the four ranges. */
function transitivityFacts<T, B>(k: Kernel<T, B>, a: Reg<T>[], x: T[]): B {
  const { A, n, h } = k;
  const facts: B[] = [];
  const inst = (le: (p: T, q: T) => B, lt: (p: T, q: T) => B, lo: T, xi: T, xj: T, hi: T): void => {
    facts.push(A.implies(A.and(le(lo, xi), le(xj, hi), lt(hi, lo)), lt(xj, xi)), A.implies(A.and(le(lo, xi), le(xj, hi), le(hi, lo)), le(xj, xi)));
  };
  for (const [i, j] of [[0, 1], [1, 0]] as const) {
    const [p, q, xi, xj] = [r0(a, i), r0(a, j), v0(x, i), v0(x, j)];
    const [li, lj] = [k.lo(xi), k.lo(xj)];
    inst(n.ule, n.ult, p.umin, xi, xj, q.umax);
    inst(n.sle, n.slt, p.smin, xi, xj, q.smax);
    inst(h.ule, h.ult, p.u32min, li, lj, q.u32max);
    inst(h.sle, h.slt, p.s32min, li, lj, q.s32max);
  }
  return A.and(...facts);
}

function decide(op: JmpOp, jmp32: boolean): Obligation {
  return {
    name: `${op}${jmp32 ? '32' : ''}.decide`, group: 'branch', abstract: 2, concrete: 2, assumes: 'order.trans',
    build(k, sem, a, x) {
      const { A, n } = k;
      const d = k.branch(op, jmp32, r0(a, 0), r0(a, 1));
      const c = sem.cond(op, jmp32, v0(x, 0), v0(x, 1));
      // A branch judged always (never) taken really is always (never) taken.
      return { premise: A.and(inAll(k, a, x), transitivityFacts(k, a, x)), conclusion: [A.implies(n.eq(d, n.one), c), A.implies(n.eq(d, n.zero), A.not(c))], outputs: {} };
    },
  };
}

function refine(op: JmpOp, jmp32: boolean, side: 'taken' | 'fall'): Obligation {
  return {
    name: `${op}${jmp32 ? '32' : ''}.${side}`, group: 'branch', abstract: 2, concrete: 2, moduloSync: true,
    build(k, sem, a, x) {
      const { A } = k;
      const c = sem.cond(op, jmp32, v0(x, 0), v0(x, 1));
      const r = k.refine(op, jmp32, r0(a, 0), r0(a, 1))[side];
      // Each side keeps every pair of values that takes that side.
      return {
        premise: A.and(inAll(k, a, x), side === 'taken' ? c : A.not(c)),
        conclusion: [...k.containsParts(r[0], v0(x, 0)), ...k.containsParts(r[1], v0(x, 1))],
        outputs: { reg1: r[0], reg2: r[1] },
      };
    },
  };
}

/**
 * Both sides of "a <op> a" (one register compared with itself, refined in place, then the
 * sanity reset of reg_bounds_sanity_check): each side keeps every value for which the comparison
 * of the value with itself takes that side.
 */
function refineSelf(op: JmpOp, jmp32: boolean, side: 'taken' | 'fall'): Obligation {
  return {
    name: `${op}${jmp32 ? '32' : ''}.self.${side}`, group: 'branch', abstract: 1, concrete: 1, moduloSync: true,
    build(k, sem, a, x) {
      const { A } = k;
      const c = sem.cond(op, jmp32, v0(x, 0), v0(x, 0));
      const r = k.refineSelf(op, jmp32, r0(a, 0))[side];
      return { premise: A.and(inAll(k, a, x), side === 'taken' ? c : A.not(c)), conclusion: k.containsParts(r, v0(x, 0)), outputs: { result: r } };
    },
  };
}

/**
 * sync_linked_regs with constant offsets (BPF_ADD_CONST): two registers hold base + p and base + q;
 * when a branch refines the second to a0 (containing y = base + q), the first becomes
 * linkedMove(a0, d) with d = p - q, and base + p = y + d (mod 2^N) must be in it, for every y in
 * a0 and every d (the verifier's offsets are s32; the identity needs nothing of them). The tnum
 * step is tnum_add, assumed as in alu64.add (its lemma, m).
 */
function linkedSync(): Obligation {
  return {
    name: 'linked.sync', group: 'alu', abstract: 2, concrete: 2, moduloSync: true, assumes: 'tnum.add',
    build(k, _sem, a, x) {
      const { n, A } = k;
      const [y, d] = [v0(x, 0), v0(x, 1)];
      const orig = k.t;
      const m = r0(a, 1);
      k.t = { ...orig, add: () => ({ value: m.value, mask: m.mask }) };
      try {
        const r = k.linkedMove(r0(a, 0), d);
        const premise = A.and(k.contains(r0(a, 0), y), orig.contains(m, n.add(y, d)));
        return { premise, conclusion: k.containsParts(r, n.add(y, d)), outputs: { result: r } };
      } finally {
        k.t = orig;
      }
    },
  };
}

function pointer(op: 'add' | 'sub'): Obligation {
  return {
    name: `ptr.${op}`, group: 'pointer', concrete: 2, moduloSync: true,
    ...withTnumLemma(op, (k, a) => (op === 'add' ? k.ptrAdd(r0(a, 0), r0(a, 1)) : k.ptrSub(r0(a, 0), r0(a, 1))), (sem, x) => sem.alu(op, false, v0(x, 0), v0(x, 1))),
  };
}

type TnumBin = 'add' | 'sub' | 'and' | 'or' | 'xor' | 'union';
function tnumBin(op: TnumBin): Obligation {
  return {
    name: `tnum.${op}`, group: 'tnum', abstract: 2, concrete: 2,
    build(k, sem, a, x) {
      const { t, n } = k;
      const [p, q] = [r0(a, 0), r0(a, 1)];
      const [y0, y1] = [v0(x, 0), v0(x, 1)];
      const r = t[op](p, q);
      const premise = k.A.and(t.contains(p, y0), t.contains(q, y1));
      const conc = op === 'union' ? k.A.and(t.contains(r, y0), t.contains(r, y1))
        : t.contains(r, op === 'add' ? n.add(y0, y1) : op === 'sub' ? n.sub(y0, y1) : op === 'and' ? n.and(y0, y1)
          : op === 'or' ? n.or(y0, y1) : n.xor(y0, y1));
      const u = k.unknown();
      return { premise, conclusion: [conc], outputs: { result: { ...u, value: r.value, mask: r.mask } } };
    },
  };
}

/**
 * tnum_mul by induction over the multiplier's trits. The loop state is (acc, a, b) with concrete
 * (s, x, y) where s ∈ γ(acc), x ∈ γ(a), y ∈ γ(b) and x0 * y0 = s + x * y (mod 2^N). Initially
 * acc = 0, s = 0. One step (this obligation, at full width): s + (x & 1) * y ∈ γ(mulStep(acc, a, b)),
 * x >> 1 ∈ γ(a >> 1), y << 1 ∈ γ(b << 1); the product is kept because
 * x * y = (x & 1) * y + (x >> 1) * (y << 1) (tnum.mul.shift-add). The loop ends when a is the
 * constant 0 (at the latest after N steps), so x = 0 and x0 * y0 = s ∈ γ(acc), the result.
 */
function tnumMulStep(): Obligation {
  return {
    name: 'tnum.mul', group: 'tnum', abstract: 3, concrete: 3, assumes: 'tnum.mul.shift-add',
    build(k, _sem, a, x) {
      const { t, n, A } = k;
      const [acc, p, q] = [r0(a, 0), r0(a, 1), r0(a, 2)];
      const [s, xi, yi] = [v0(x, 0), v0(x, 1), v0(x, 2)];
      const premise = A.and(t.contains(acc, s), t.contains(p, xi), t.contains(q, yi));
      const next = t.mulStep(acc, p, q);
      const s1 = n.add(s, n.ite(n.eq(n.and(xi, n.one), n.one), yi, n.zero));
      const u = k.unknown();
      return {
        premise,
        conclusion: [t.contains(next, s1), t.contains(t.rshift(p, n.one), n.lshr(xi, n.one)), t.contains(t.lshift(q, n.one), n.shl(yi, n.one))],
        outputs: { acc: { ...u, value: next.value, mask: next.mask } },
      };
    },
  };
}

/**
 * x * y = (x mod 2) * y + (x div 2) * (2 * y) over the integers; with SMT-LIB's bvmul, bvlshr and
 * bvshl (the integer operations reduced mod 2^N, a ring homomorphism) it gives the bit-vector
 * identity the tnum.mul step relies on at every width. Bit-blasting the two products is beyond Z3
 * even at 16 bits; over the integers it is immediate.
 */
function mulShiftAdd(): Obligation {
  return {
    name: 'tnum.mul.shift-add', group: 'tnum', abstract: 0, concrete: 0, fixedWidth: 0,
    build(k) { return { premise: k.A.tt, conclusion: [], outputs: {} }; },
    lemma(Z) {
      const [x, y, q, r] = ['x', 'y', 'q', 'r'].map((v) => Z.Int.const(v));
      return [Z.And(x!.eq(q!.mul(2).add(r!)), r!.ge(0), r!.le(1), Z.Not(x!.mul(y!).eq(r!.mul(y!).add(q!.mul(y!.mul(2))))))];
    },
  };
}

function tnumShift(kind: 'lshift' | 'rshift' | 'arshift'): Obligation {
  return {
    name: `tnum.${kind}`, group: 'tnum', abstract: 1, concrete: 2,
    build(k, _sem, a, x) {
      const { t, n, A } = k;
      const p = r0(a, 0);
      const s = n.and(v0(x, 1), n.c(k.N - 1)); // any shift amount below the width
      const r = kind === 'lshift' ? t.lshift(p, s) : kind === 'rshift' ? t.rshift(p, s) : t.arshift(p, s, 64);
      const y = kind === 'lshift' ? n.shl(v0(x, 0), s) : kind === 'rshift' ? n.lshr(v0(x, 0), s) : n.ashr(v0(x, 0), s);
      const u = k.unknown();
      return { premise: A.and(t.contains(p, v0(x, 0))), conclusion: [t.contains(r, y)], outputs: { result: { ...u, value: r.value, mask: r.mask } } };
    },
  };
}

function tnumNeg(): Obligation {
  return {
    name: 'tnum.neg', group: 'tnum', abstract: 1, concrete: 1,
    build(k, _sem, a, x) {
      const r = k.t.neg(r0(a, 0));
      const u = k.unknown();
      return { premise: k.t.contains(r0(a, 0), v0(x, 0)), conclusion: [k.t.contains(r, k.n.neg(v0(x, 0)))], outputs: { result: { ...u, value: r.value, mask: r.mask } } };
    },
  };
}

const SYNC_STEPS = ['updateReg32Bounds', 'updateReg64Ranges', 'reg64SingleValue', 'reg32DeduceBounds', 'reg64DeduceBounds', 'regDeduceMixedBounds', 'regBoundOffset'] as const;
const STEP_NAMES: Record<(typeof SYNC_STEPS)[number], string> = {
  updateReg32Bounds: 'sync.update_reg32_bounds', updateReg64Ranges: 'sync.update_reg64_bounds',
  reg64SingleValue: 'sync.single_value',
  reg32DeduceBounds: 'sync.reg32_deduce_bounds', reg64DeduceBounds: 'sync.reg64_deduce_bounds',
  regDeduceMixedBounds: 'sync.reg_deduce_mixed_bounds', regBoundOffset: 'sync.reg_bound_offset',
};

/**
 * tnum_step is a lower bound of the members above z: x ∈ γ(t) ∧ x > z ⇒ x ≥ tnum_step(t, z). All
 * the single-value check needs of it (with x ≤ tmax for every member): a step below the next
 * member only makes the check claim a constant less often.
 */
function tnumStepBound(): Obligation {
  return {
    name: 'tnum.step', group: 'tnum', abstract: 1, concrete: 2,
    build(k, _sem, a, x) {
      const { t, n, A } = k;
      const p = r0(a, 0);
      const [xi, z] = [v0(x, 0), v0(x, 1)];
      const s = t.step(p, z);
      return { premise: A.and(t.contains(p, xi), n.ugt(xi, z)), conclusion: [n.uge(xi, s)], outputs: { result: { ...k.unknown(), umin: s } } };
    },
  };
}

/**
 * The single-value check with each tnum_step result an extra concrete input s constrained only by
 * the tnum.step lemma's instance at the tnum, the point searched from and the member x0
 * (assume-guarantee): with the two searches bit-blasted, 32 and 64 bits exceeded 90 s.
 */
function singleValue(): Obligation {
  return {
    name: STEP_NAMES.reg64SingleValue, group: 'sync', abstract: 1, concrete: 3, assumes: 'tnum.step',
    build(k, _sem, a, x) {
      const { A, n } = k;
      const orig = k.t;
      const member = inAll(k, a, x.slice(0, 1));
      const facts: (typeof member)[] = [];
      let calls = 0;
      k.t = {
        ...orig,
        step: (p, z) => {
          if (calls >= 2) throw new Error('tnum_step called more than twice: one lemma input per call is needed');
          const s = v0(x, 1 + calls++);
          facts.push(A.implies(A.and(orig.contains(p, v0(x, 0)), n.ugt(v0(x, 0), z)), n.uge(v0(x, 0), s)));
          return s;
        },
      };
      try {
        const r = copyReg(r0(a, 0));
        k.reg64SingleValue(r);
        // Stage: x0 is in the result's tnum, so where the check made a constant, x0 is that
        // constant; each bound then follows without redoing the search's case analysis.
        return { premise: A.and(member, ...facts), stages: [k.t.contains(r, v0(x, 0))], conclusion: k.containsParts(r, v0(x, 0)), outputs: { result: r } };
      } finally {
        k.t = orig;
      }
    },
  };
}

/** One step of reg_bounds_sync keeps every member: gamma(r) is a subset of gamma(step(r)). */
function syncStep(step: (typeof SYNC_STEPS)[number]): Obligation {
  if (step === 'reg64SingleValue') return singleValue();
  return {
    name: STEP_NAMES[step], group: 'sync', abstract: 1, concrete: 1,
    build(k, _sem, a, x) {
      const r = copyReg(r0(a, 0));
      k[step](r);
      return { premise: inAll(k, a, x), conclusion: k.containsParts(r, v0(x, 0)), outputs: { result: r } };
    },
  };
}

const SX_BITS = [8, 16, 32] as const;

/** Every obligation, in table order. */
export function allObligations(): Obligation[] {
  const out: Obligation[] = [];
  for (const op of ['add', 'sub', 'and', 'or', 'xor', 'union'] as const) out.push(tnumBin(op));
  out.push(tnumMulStep(), mulShiftAdd());
  for (const s of ['lshift', 'rshift', 'arshift'] as const) out.push(tnumShift(s));
  out.push(tnumNeg(), tnumStepBound());
  const [mul64, mul32, ...mulLemmas] = mulObligations();
  for (const alu32 of [false, true]) for (const op of ALU_OPS) out.push(op === 'mul' ? (alu32 ? mul32! : mul64!) : alu(op, alu32));
  out.push(...mulLemmas);
  out.push(unary('neg64', (k, a) => k.neg(false, a), (s, x) => s.neg(false, x)));
  out.push(unary('neg32', (k, a) => k.neg(true, a), (s, x) => s.neg(true, x)));
  for (const step of SYNC_STEPS) out.push(syncStep(step));
  out.push(unary('zext32 (w = w)', (k, a) => k.mov32(a), (s, x) => s.mov32(x)));
  for (const b of SX_BITS) out.push(unary(`movsx64.s${b}`, (k, a) => k.movsx(a, b, false), (s, x) => s.movsx(x, b, false), 8));
  for (const b of [8, 16] as const) out.push(unary(`movsx32.s${b}`, (k, a) => k.movsx(a, b, true), (s, x) => s.movsx(x, b, true), 8));
  for (const b of SX_BITS) out.push(unary(`load.u${b}`, (k, a) => k.truncate(a, b), (s, x) => s.truncate(x, b), 8));
  for (const b of SX_BITS) out.push(unary(`load.s${b}`, (k, a) => k.sextLoad(a, b), (s, x) => s.sextLoad(x, b), 8));
  // BPF_END as 6.18 tracks it (scalar_byte_swap: tnum_bswap16/32/64, truncation for 16/32).
  for (const kind of ['le', 'be', 'bswap'] as const) for (const b of [16, 32, 64] as const)
    out.push(unary(`end.${kind}${b}`, (k, a) => k.end(a, b, kind), (s, x) => s.end(x, b, kind), 8));
  out.push(pointer('add'), pointer('sub'));
  out.push(orderTransitivity());
  for (const jmp32 of [false, true]) for (const op of JMP_OPS) {
    out.push(decide(op, jmp32), refine(op, jmp32, 'taken'), refine(op, jmp32, 'fall'));
    out.push(refineSelf(op, jmp32, 'taken'), refineSelf(op, jmp32, 'fall'));
  }
  out.push(linkedSync());
  out.push(...optimalityObligations());
  out.push(...jitObligations(), ...memoryObligations(), ...atomicObligations(), ...ldAbsObligations(), ...callObligations(), ...controlObligations());
  return out;
}

/** Obligations whose name matches (exact, prefix before '.', or substring). */
export function selectObligations(filter: string | undefined): Obligation[] {
  const all = allObligations();
  if (!filter) return all;
  const exact = all.filter((o) => o.name === filter);
  if (exact.length) return exact;
  return all.filter((o) => o.name.startsWith(filter + '.') || o.name.includes(filter));
}

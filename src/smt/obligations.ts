/**
 * The proof obligations: one per abstract operator, each a soundness statement
 *   for all abstract a, b and concrete x in γ(a), y in γ(b):  op(x, y) in γ(op♯(a, b))
 * written over the algebra, so the same obligation is a Z3 formula (to prove), a bigint
 * computation (to replay a counterexample), and runs against any kernel table (to prove a
 * substituted operator in the mutation test).
 */
import type { Kernel } from '../verifier/domains/kernel.js';
import { copyReg, type Reg } from '../verifier/domains/scalar.js';
import { ALU_OPS, type AluOp } from '../verifier/domains/alu.js';
import { JMP_OPS, type JmpOp } from '../verifier/domains/branch.js';
import type { Semantics } from './semantics.js';

export interface Built<T, B> {
  premise: B;
  /** All must hold; the prover checks them one at a time (smaller queries). */
  conclusion: B[];
  /** Abstract results, shown with a counterexample. */
  outputs: Record<string, Reg<T>>;
}

export interface Obligation {
  readonly name: string;
  readonly group: 'alu' | 'unary' | 'sync' | 'branch' | 'pointer' | 'tnum';
  /** Abstract register inputs (a0, a1, ...) and concrete inputs (x0, x1, ...). */
  readonly abstract: number;
  readonly concrete: number;
  /** Narrowest width the statement means something at (byte swaps need 64). */
  readonly minWidth?: number;
  /**
   * Proven with reg_bounds_sync replaced by the identity. Sound by composition: the sync
   * lemmas (group 'sync') prove every step of reg_bounds_sync keeps every member of any input
   * state, and this obligation holds for any input state, so it also holds after sync.
   */
  readonly moduloSync?: boolean;
  /** Another obligation this one relies on (assume-guarantee), named in the table. */
  readonly assumes?: string;
  build<T, B>(k: Kernel<T, B>, sem: Semantics<T, B>, a: Reg<T>[], x: T[]): Built<T, B>;
}

const inAll = <T, B>(k: Kernel<T, B>, a: Reg<T>[], x: T[]): B => k.A.and(...a.map((r, i) => k.contains(r, x[i]!)));
const r0 = <T>(a: Reg<T>[], i: number): Reg<T> => a[i]!;
const v0 = <T>(x: T[], i: number): T => x[i]!;

/**
 * Multiplication: tnum_mul's unrolled 64-step loop is beyond Z3 at 64 bits, so the ALU obligation
 * takes its result as an extra abstract input m constrained only by the tnum.mul lemma
 * (x * y in γ(m)); the ranges, zero-extension and the rest are proven at full width.
 */
function aluMul(alu32: boolean): Obligation {
  return {
    name: `alu${alu32 ? 32 : 64}.mul`, group: 'alu', abstract: 3, concrete: 2, moduloSync: true, assumes: 'tnum.mul',
    build(k, sem, a, x) {
      const orig = k.t;
      const m = r0(a, 2);
      k.t = { ...orig, mul: () => ({ value: m.value, mask: m.mask }) };
      try {
        const r = k.alu('mul', alu32, r0(a, 0), r0(a, 1));
        const premise = k.A.and(inAll(k, a.slice(0, 2), x), orig.contains(m, k.n.mul(v0(x, 0), v0(x, 1))));
        return { premise, conclusion: k.containsParts(r, sem.alu('mul', alu32, v0(x, 0), v0(x, 1))), outputs: { result: r } };
      } finally {
        k.t = orig;
      }
    },
  };
}

function alu(op: AluOp, alu32: boolean): Obligation {
  if (op === 'mul') return aluMul(alu32);
  return {
    name: `alu${alu32 ? 32 : 64}.${op}`, group: 'alu', abstract: 2, concrete: 2, moduloSync: true,
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

function decide(op: JmpOp, jmp32: boolean): Obligation {
  return {
    name: `${op}${jmp32 ? '32' : ''}.decide`, group: 'branch', abstract: 2, concrete: 2,
    build(k, sem, a, x) {
      const { A, n } = k;
      const d = k.branch(op, jmp32, r0(a, 0), r0(a, 1));
      const c = sem.cond(op, jmp32, v0(x, 0), v0(x, 1));
      // A branch judged always (never) taken really is always (never) taken.
      return { premise: inAll(k, a, x), conclusion: [A.implies(n.eq(d, n.one), c), A.implies(n.eq(d, n.zero), A.not(c))], outputs: {} };
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

function pointer(op: 'add' | 'sub'): Obligation {
  return {
    name: `ptr.${op}`, group: 'pointer', abstract: 2, concrete: 2, moduloSync: true,
    build(k, sem, a, x) {
      const r = op === 'add' ? k.ptrAdd(r0(a, 0), r0(a, 1)) : k.ptrSub(r0(a, 0), r0(a, 1));
      return { premise: inAll(k, a, x), conclusion: k.containsParts(r, sem.alu(op, false, v0(x, 0), v0(x, 1))), outputs: { result: r } };
    },
  };
}

type TnumBin = 'add' | 'sub' | 'and' | 'or' | 'xor' | 'mul' | 'union';
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
          : op === 'or' ? n.or(y0, y1) : op === 'xor' ? n.xor(y0, y1) : n.mul(y0, y1));
      const u = k.unknown();
      return { premise, conclusion: [conc], outputs: { result: { ...u, value: r.value, mask: r.mask } } };
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

const SYNC_STEPS = ['updateReg32Bounds', 'updateReg64Bounds', 'reg32DeduceBounds', 'reg64DeduceBounds', 'regDeduceMixedBounds', 'regBoundOffset'] as const;
const STEP_NAMES: Record<(typeof SYNC_STEPS)[number], string> = {
  updateReg32Bounds: 'sync.update_reg32_bounds', updateReg64Bounds: 'sync.update_reg64_bounds',
  reg32DeduceBounds: 'sync.reg32_deduce_bounds', reg64DeduceBounds: 'sync.reg64_deduce_bounds',
  regDeduceMixedBounds: 'sync.reg_deduce_mixed_bounds', regBoundOffset: 'sync.reg_bound_offset',
};

/** One step of reg_bounds_sync keeps every member: gamma(r) is a subset of gamma(step(r)). */
function syncStep(step: (typeof SYNC_STEPS)[number]): Obligation {
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
  for (const op of ['add', 'sub', 'and', 'or', 'xor', 'mul', 'union'] as const) out.push(tnumBin(op));
  for (const s of ['lshift', 'rshift', 'arshift'] as const) out.push(tnumShift(s));
  out.push(tnumNeg());
  for (const alu32 of [false, true]) for (const op of ALU_OPS) out.push(alu(op, alu32));
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
  for (const jmp32 of [false, true]) for (const op of JMP_OPS) {
    out.push(decide(op, jmp32), refine(op, jmp32, 'taken'), refine(op, jmp32, 'fall'));
  }
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

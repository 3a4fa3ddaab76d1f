/**
 * bpflab's running scalar operators against the kernel oracle (kernel-oracle.ts): for each range
 * operator, BPF_NEG, each conditional jump (decision and both refined sides) and reg_bounds_sync,
 * on the same abstract inputs, it checks that both results are sound on sampled concrete members
 * (a sanity check of the oracle) and classifies bpflab's result as equal to the kernel's, strictly
 * more precise, or less precise (a fidelity gap).
 *
 * Results are compared component by component (tnum, u64, s64, u32 and s32 ranges: what the next
 * operation starts from), and the concrete sets are compared too: exactly at width 8, by a witness
 * search at width 64.
 * - Width 8 (subregister 4): every pair of a fixed family of abstract values; concretisations are
 *   enumerated (256 values).
 * - Width 64: random inputs biased to constants, small ranges, sign-crossing ranges and tnums with
 *   few unknown bits.
 */
import { bigintAlgebra, kernelDomainOf, makeKernel, type Kernel, type Reg, type ScalarDomain } from '../../src/verifier/domains/index.js';
import { cloneK, KernelOracle, type KAluOp, type KJmpOp, type KernelOracleOptions, type KReg } from './kernel-oracle.js';

export const ALU_ROWS: readonly KAluOp[] = ['add', 'sub', 'mul', 'and', 'or', 'xor', 'lsh', 'rsh', 'arsh'];
export const JMP_ROWS: readonly KJmpOp[] = ['jeq', 'jne', 'jset', 'jgt', 'jge', 'jlt', 'jle', 'jsgt', 'jsge', 'jslt', 'jsle'];

/**
 * equal: the same state; better: every component (tnum, u64, s64, u32, s32 range) of bpflab's
 * result within the kernel's, one strictly; worse: some component of bpflab's result wider than the
 * kernel's (which later operations inherit), whether or not the concrete sets differ.
 */
export type Verdict = 'equal' | 'better' | 'worse';

interface Cmp {
  v: Verdict;
  /** The concrete sets differ in the verdict's direction (a member of one result outside the other was found). */
  inSet: boolean;
}

export interface OpStats {
  op: string;
  pairs: number;
  equal: number;
  better: number;
  worse: number;
  /** Of `better`: the kernel's result holds a member bpflab's does not (exact at width 8, a found witness at 64). */
  betterSet: number;
  /** Of `worse`: bpflab's result holds a member the kernel's does not. */
  worseSet: number;
  /** Of `worse`: pairs whose only less precise results are on a branch side no concrete pair takes (width 8, exact). */
  worseDead: number;
  /** Concrete results outside bpflab's / the oracle's result (must stay 0). */
  unsoundBpflab: number;
  unsoundKernel: number;
  checkedMembers: number;
  worseExamples: string[];
  betterExamples: string[];
  unsoundExamples: string[];
}

export interface Row {
  op: string;
  w8?: OpStats;
  w64?: OpStats;
}

/** A deterministic 32-bit generator. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 2 ** 32;
  };
}

/** One width's pair of implementations: bpflab's (the verifier's entry points) and the oracle. */
export class Harness {
  readonly N: number;
  readonly H: number;
  readonly O: KernelOracle;
  /** The verifier's scalar domain (alu, neg, branch, refine) and its kernel table (reg_bounds_sync). */
  readonly D: ScalarDomain;
  readonly K: Kernel<bigint, boolean>;
  private readonly U: bigint;

  constructor(N: number, oracle: KernelOracle = new KernelOracle(N)) {
    this.N = N;
    this.H = N / 2;
    this.O = oracle;
    this.K = makeKernel(bigintAlgebra, N);
    this.D = kernelDomainOf(this.K);
    this.U = (1n << BigInt(N)) - 1n;
  }

  toReg(k: KReg): Reg<bigint> {
    const { N, H } = this;
    return {
      value: k.var.v, mask: k.var.m, umin: k.umin, umax: k.umax,
      smin: BigInt.asUintN(N, k.smin), smax: BigInt.asUintN(N, k.smax),
      u32min: k.u32min, u32max: k.u32max, s32min: BigInt.asUintN(H, k.s32min), s32max: BigInt.asUintN(H, k.s32max),
    };
  }

  toK(r: Reg<bigint> | Readonly<Reg<bigint>>): KReg {
    const { N, H } = this;
    return {
      var: { v: r.value, m: r.mask }, umin: r.umin, umax: r.umax,
      smin: BigInt.asIntN(N, r.smin), smax: BigInt.asIntN(N, r.smax),
      u32min: r.u32min, u32max: r.u32max, s32min: BigInt.asIntN(H, r.s32min), s32max: BigInt.asIntN(H, r.s32max),
    };
  }

  fmt(k: KReg): string {
    const hx = (v: bigint): string => (v < 0n ? '-0x' + (-v).toString(16) : '0x' + v.toString(16));
    return `{var=(${hx(k.var.v)};${hx(k.var.m)}) u=[${hx(k.umin)},${hx(k.umax)}] s=[${hx(k.smin)},${hx(k.smax)}] ` +
      `u32=[${hx(k.u32min)},${hx(k.u32max)}] s32=[${hx(k.s32min)},${hx(k.s32max)}]}`;
  }

  /** Concretisation at width 8 as a 256-bit set (8 words). */
  gamma8(k: KReg): Uint32Array {
    const v = Number(k.var.v), m = Number(k.var.m);
    const umin = Number(k.umin), umax = Number(k.umax), smin = Number(k.smin), smax = Number(k.smax);
    const u32min = Number(k.u32min), u32max = Number(k.u32max), s32min = Number(k.s32min), s32max = Number(k.s32max);
    const g = new Uint32Array(8);
    for (let x = 0; x < 256; x++) {
      const l = x & 15, sx = x >= 128 ? x - 256 : x, sl = l >= 8 ? l - 16 : l;
      if ((x & ~m & 0xff) === v && x >= umin && x <= umax && sx >= smin && sx <= smax && l >= u32min && l <= u32max && sl >= s32min && sl <= s32max)
        g[x >> 5]! |= 1 << (x & 31);
    }
    return g;
  }

  /** Members of r for soundness checks: exhaustive-derived at width 8, sampled at 64. */
  members(r: KReg, count: number, rand: () => number): bigint[] {
    if (this.N === 8) {
      const g = this.gamma8(r);
      const all: bigint[] = [];
      for (let x = 0; x < 256; x++) if (g[x >> 5]! & (1 << (x & 31))) all.push(BigInt(x));
      if (all.length <= count) return all;
      const out = [all[0]!, all[all.length - 1]!];
      while (out.length < count) out.push(all[Math.floor(rand() * all.length)]!);
      return out;
    }
    const out = new Set<bigint>();
    for (const c of this.candidates(r, r, rand, 6)) {
      if (out.size >= count) break;
      if (!out.has(c) && this.O.contains(r, c)) out.add(c);
    }
    return [...out];
  }

  /** Values that are likely members of a and likely outside b (for witnesses and samples), cheapest first. */
  private *candidates(a: KReg, b: KReg, rand: () => number, randomCount: number): Generator<bigint> {
    const { O } = this;
    const u = (x: bigint): bigint => BigInt.asUintN(this.N, x);
    const snap = (x: bigint): bigint => (x & ~a.var.m & this.U) | a.var.v;
    const bases = [a.umin, a.umax, u(a.smin), u(a.smax), a.var.v, a.var.v | a.var.m];
    for (const x of bases) yield x;
    const outside = [u(b.umin - 1n), u(b.umax + 1n), u(b.smin - 1n), u(b.smax + 1n)];
    for (const x of [...bases, ...outside]) {
      yield snap(x);
      yield x;
    }
    const lows = [
      a.u32min, a.u32max, O.u32(a.s32min), O.u32(a.s32max),
      O.u32(b.u32min - 1n), O.u32(b.u32max + 1n), O.u32(b.s32min - 1n), O.u32(b.s32max + 1n),
    ];
    const hi = this.U & ~O.U32_MAX;
    for (const x of [...bases, ...outside]) for (const l of lows) {
      yield snap((x & hi) | l);
      yield (x & hi) | l;
    }
    for (let i = 0; i < randomCount; i++) yield snap(this.rand64(rand));
  }

  rand64(rand: () => number): bigint {
    let x = 0n;
    for (let i = 0; i < this.N; i += 32) x = (x << 32n) | BigInt(Math.floor(rand() * 2 ** 32));
    return x & this.U;
  }

  /** A member of a that is not in b, if one can be found. */
  witness(a: KReg, b: KReg, rand: () => number): bigint | undefined {
    if (this.N === 8) {
      const ga = this.gamma8(a), gb = this.gamma8(b);
      for (let i = 0; i < 8; i++) {
        const d = ga[i]! & ~gb[i]!;
        if (d) return BigInt(i * 32 + (31 - Math.clz32(d & -d)));
      }
      return undefined;
    }
    for (const c of this.candidates(a, b, rand, 16)) if (this.O.contains(a, c) && !this.O.contains(b, c)) return c;
    return undefined;
  }

  /** Width 8: whether some member pair takes each side of "a op b" (exact enumeration). */
  feasibleSides(op: KJmpOp, jmp32: boolean, a: KReg, b: KReg): { taken: boolean; fall: boolean } {
    const xs = this.members(a, 256, () => 0), ys = this.members(b, 256, () => 0);
    let taken = false, fall = false;
    for (const x of xs) for (const y of ys) {
      if (this.O.concreteCond(op, jmp32, x, y)) taken = true; else fall = true;
      if (taken && fall) return { taken, fall };
    }
    return { taken, fall };
  }

  /** bpflab's result b against the kernel's k. */
  compare(b: KReg, k: KReg, rand: () => number): Cmp {
    if (sameK(b, k)) return { v: 'equal', inSet: false };
    if (withinK(b, k)) return { v: 'better', inSet: this.witness(k, b, rand) !== undefined };
    return { v: 'worse', inSet: this.witness(b, k, rand) !== undefined };
  }
}

/** Every component of a within b's (an empty range makes a the empty state). */
function withinK(a: KReg, b: KReg): boolean {
  if (a.umin > a.umax || a.smin > a.smax || a.u32min > a.u32max || a.s32min > a.s32max) return true;
  return (a.var.m & ~b.var.m) === 0n && (a.var.v & ~b.var.m) === b.var.v &&
    b.umin <= a.umin && a.umax <= b.umax && b.smin <= a.smin && a.smax <= b.smax &&
    b.u32min <= a.u32min && a.u32max <= b.u32max && b.s32min <= a.s32min && a.s32max <= b.s32max;
}

function sameK(a: KReg, b: KReg): boolean {
  return a.var.v === b.var.v && a.var.m === b.var.m && a.umin === b.umin && a.umax === b.umax && a.smin === b.smin &&
    a.smax === b.smax && a.u32min === b.u32min && a.u32max === b.u32max && a.s32min === b.s32min && a.s32max === b.s32max;
}

/** Combines per-register verdicts of one operation: any worse is worse, then any better is better. */
function combine(cs: Cmp[]): Cmp {
  for (const v of ['worse', 'better'] as const) {
    const hit = cs.filter((c) => c.v === v);
    if (hit.length) return { v, inSet: hit.some((c) => c.inSet) };
  }
  return { v: 'equal', inSet: false };
}

function record(st: OpStats, c: Cmp): void {
  st.pairs++;
  st[c.v]++;
  if (c.inSet && c.v === 'better') st.betterSet++;
  if (c.inSet && c.v === 'worse') st.worseSet++;
}

function newStats(op: string): OpStats {
  return { op, pairs: 0, equal: 0, better: 0, worse: 0, betterSet: 0, worseSet: 0, worseDead: 0, unsoundBpflab: 0, unsoundKernel: 0, checkedMembers: 0, worseExamples: [], betterExamples: [], unsoundExamples: [] };
}

function note(list: string[], s: string): void {
  if (list.length < 3) list.push(s);
}

/** One operation applied to one input pair, recorded in st. */
export function runAlu(h: Harness, st: OpStats, op: KAluOp | 'neg', alu32: boolean, a: KReg, b: KReg, rand: () => number, samples: number): void {
  const { O, D } = h;
  const rk = op === 'neg' ? O.neg(alu32, a) : O.alu(op, alu32, a, b);
  const rb = h.toK(op === 'neg' ? D.neg(alu32, h.toReg(a)) : D.alu(op, alu32, h.toReg(a), h.toReg(b)));
  const c = h.compare(rb, rk, rand);
  record(st, c);
  const desc = (): string => `${st.op} a=${h.fmt(a)}${op === 'neg' ? '' : ` b=${h.fmt(b)}`}: bpflab ${h.fmt(rb)} kernel ${h.fmt(rk)}`;
  if (c.v === 'worse') note(st.worseExamples, desc());
  if (c.v === 'better') note(st.betterExamples, desc());
  const xs = h.members(a, samples, rand);
  const ys = op === 'neg' ? [0n] : h.members(b, samples, rand);
  for (let i = 0; i < Math.max(xs.length, ys.length); i++) {
    const x = xs[i % xs.length];
    const y = ys[i % ys.length];
    if (x === undefined || y === undefined) break;
    const z = O.concreteAlu(op, alu32, x, y);
    st.checkedMembers++;
    if (!O.contains(rb, z)) { st.unsoundBpflab++; note(st.unsoundExamples, `bpflab loses ${z} = ${op}(${x}, ${y}): ${desc()}`); }
    if (!O.contains(rk, z)) { st.unsoundKernel++; note(st.unsoundExamples, `oracle loses ${z} = ${op}(${x}, ${y}): ${desc()}`); }
  }
}

/** A sign-extending move applied to one input, recorded in st. */
export function runMovsx(h: Harness, st: OpStats, bits: 8 | 16 | 32, alu32: boolean, a: KReg, rand: () => number, samples: number): void {
  const { O, D } = h;
  const rk = O.movsx(bits, alu32, a);
  const rb = h.toK(D.movsx(h.toReg(a), bits, alu32));
  const c = h.compare(rb, rk, rand);
  record(st, c);
  const desc = (): string => `${st.op} a=${h.fmt(a)}: bpflab ${h.fmt(rb)} kernel ${h.fmt(rk)}`;
  if (c.v === 'worse') note(st.worseExamples, desc());
  if (c.v === 'better') note(st.betterExamples, desc());
  for (const x of h.members(a, samples, rand)) {
    const z = O.concreteMovsx(bits, alu32, x);
    st.checkedMembers++;
    if (!O.contains(rb, z)) { st.unsoundBpflab++; note(st.unsoundExamples, `bpflab loses ${z} = movsx(${x}): ${desc()}`); }
    if (!O.contains(rk, z)) { st.unsoundKernel++; note(st.unsoundExamples, `oracle loses ${z} = movsx(${x}): ${desc()}`); }
  }
}

export function runJmp(h: Harness, st: OpStats, op: KJmpOp, jmp32: boolean, a: KReg, b: KReg, rand: () => number, samples: number): void {
  const { O, D } = h;
  const dk = O.branchTaken(op, jmp32, a, b);
  const db = D.branch(op, jmp32, h.toReg(a), h.toReg(b));
  const rk = O.refine(op, jmp32, a, b);
  const rbRaw = D.refine(op, jmp32, h.toReg(a), h.toReg(b));
  const rb = { taken: rbRaw.taken.map((r) => h.toK(r)) as [KReg, KReg], fall: rbRaw.fall.map((r) => h.toK(r)) as [KReg, KReg] };
  let c: Cmp;
  if (dk !== -1 || db !== -1) {
    // A decided branch is not refined by the verifier: only the decision counts (a decided side has no members).
    c = { v: dk === db ? 'equal' : dk === -1 ? 'better' : 'worse', inSet: dk !== db };
  } else {
    const taken = combine([h.compare(rb.taken[0], rk.taken[0], rand), h.compare(rb.taken[1], rk.taken[1], rand)]);
    const fall = combine([h.compare(rb.fall[0], rk.fall[0], rand), h.compare(rb.fall[1], rk.fall[1], rand)]);
    c = combine([taken, fall]);
    if (c.v === 'worse' && h.N === 8) {
      // Is every less precise side one that no concrete pair reaches (an infeasible branch)?
      const sides = h.feasibleSides(op, jmp32, a, b);
      if ((taken.v !== 'worse' || !sides.taken) && (fall.v !== 'worse' || !sides.fall)) st.worseDead++;
    }
  }
  record(st, c);
  const v = c.v;
  const desc = (): string =>
    `${st.op} a=${h.fmt(a)} b=${h.fmt(b)}: decision bpflab ${db} kernel ${dk}; taken bpflab ${h.fmt(rb.taken[0])} ${h.fmt(rb.taken[1])} ` +
    `kernel ${h.fmt(rk.taken[0])} ${h.fmt(rk.taken[1])}; fall bpflab ${h.fmt(rb.fall[0])} ${h.fmt(rb.fall[1])} kernel ${h.fmt(rk.fall[0])} ${h.fmt(rk.fall[1])}`;
  if (v === 'worse') note(st.worseExamples, desc());
  if (v === 'better') note(st.betterExamples, desc());
  const xs = h.members(a, samples, rand);
  const ys = h.members(b, samples, rand);
  for (let i = 0; i < Math.max(xs.length, ys.length); i++) {
    const x = xs[i % xs.length];
    const y = ys[i % ys.length];
    if (x === undefined || y === undefined) break;
    const c = O.concreteCond(op, jmp32, x, y);
    st.checkedMembers++;
    const check = (who: 'bpflab' | 'oracle', d: number, side: [KReg, KReg]): void => {
      const ok = (d === -1 || (d === 1) === c) && O.contains(side[0], x) && O.contains(side[1], y);
      if (ok) return;
      if (who === 'bpflab') st.unsoundBpflab++; else st.unsoundKernel++;
      note(st.unsoundExamples, `${who} loses x=${x} y=${y} (${op} is ${c}): ${desc()}`);
    };
    check('bpflab', db, c ? rb.taken : rb.fall);
    check('oracle', dk, c ? rk.taken : rk.fall);
  }
}

export function runSync(h: Harness, st: OpStats, a: KReg, rand: () => number, samples: number): void {
  const rk = h.O.sync(a);
  const rb = h.toK(h.K.sync(h.toReg(a)));
  const c = h.compare(rb, rk, rand);
  record(st, c);
  const desc = (): string => `sync a=${h.fmt(a)}: bpflab ${h.fmt(rb)} kernel ${h.fmt(rk)}`;
  if (c.v === 'worse') note(st.worseExamples, desc());
  if (c.v === 'better') note(st.betterExamples, desc());
  for (const x of h.members(a, samples, rand)) {
    st.checkedMembers++;
    if (!h.O.contains(rb, x)) { st.unsoundBpflab++; note(st.unsoundExamples, `bpflab loses ${x}: ${desc()}`); }
    if (!h.O.contains(rk, x)) { st.unsoundKernel++; note(st.unsoundExamples, `oracle loses ${x}: ${desc()}`); }
  }
}

// ------------------------------------------------------------------ inputs

/** The tightest abstract value (at width 8) of a non-empty set of 8-bit values. */
export function alpha8(set: readonly number[]): KReg {
  let and = 0xff, or = 0, umin = 255, umax = 0, smin = 127, smax = -128, u32min = 15, u32max = 0, s32min = 7, s32max = -8;
  for (const x of set) {
    const sx = x >= 128 ? x - 256 : x, l = x & 15, sl = l >= 8 ? l - 16 : l;
    and &= x; or |= x;
    umin = Math.min(umin, x); umax = Math.max(umax, x); smin = Math.min(smin, sx); smax = Math.max(smax, sx);
    u32min = Math.min(u32min, l); u32max = Math.max(u32max, l); s32min = Math.min(s32min, sl); s32max = Math.max(s32max, sl);
  }
  const B = BigInt;
  return {
    var: { v: B(and), m: B(and ^ or) }, umin: B(umin), umax: B(umax), smin: B(smin), smax: B(smax),
    u32min: B(u32min), u32max: B(u32max), s32min: B(s32min), s32max: B(s32max),
  };
}

/**
 * The width-8 family: constants at every boundary, ranges on each side of and across the unsigned
 * and signed boundaries (of the register and of the subregister), tnums with 1-3 unknown bits,
 * scattered sets, and loose variants of some of them (one component forgotten, as after an
 * operation that tracks it badly) re-synchronised by the oracle.
 */
export function family8(count: number, seed = 1): KReg[] {
  const O = new KernelOracle(8);
  const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);
  const wrap = (a: number, b: number): number[] => (a <= b ? range(a, b) : range(a, 255).concat(range(0, b)));
  const tn = (v: number, m: number): number[] => range(0, 255).filter((x) => (x & ~m & 0xff) === (v & ~m));
  const base: number[][] = [
    [0], [1], [7], [8], [15], [16], [0x7f], [0x80], [0x81], [0xff], [0xfe], [0xf0], [0x0f], [3, 200], [0, 0x80],
    range(0, 255), range(0, 15), range(1, 9), range(0x70, 0x90), range(0xf0, 0xff), range(0x78, 0x88), range(0x0e, 0x12),
    range(0, 127), range(128, 255), wrap(0xfc, 3), wrap(0xf8, 7), wrap(0x80, 0x7f).slice(0, 1), range(0x10, 0x1f), range(0x3c, 0x44),
    tn(0, 3), tn(0x30, 0x0f), tn(0x81, 0x40), tn(0x02, 0x81), tn(0x10, 0x0c), tn(0, 0xf0), tn(0x0f, 0x30), tn(4, 0x88),
    [7, 8, 9, 0x17], [5, 250], [0x7e, 0x82], [1, 2, 4, 8, 16, 32, 64, 128],
  ];
  const r = rng(seed);
  const pick = (n: number): number => Math.floor(r() * n);
  // Fixed shapes first, in a shuffled order so that a short prefix already mixes them.
  const sets = base.map((s, i) => ({ s, k: (i * 17) % base.length })).sort((x, y) => x.k - y.k).map((x) => x.s);
  const anchors = [0, 1, 7, 8, 15, 16, 0x70, 0x7f, 0x80, 0x8f, 0xf0, 0xff];
  while (sets.length < count) {
    switch (pick(5)) {
      case 0: { const a = anchors[pick(anchors.length)]! + pick(9) - 4; const len = [0, 1, 2, 5, 17, 40][pick(6)]!; sets.push(wrap(a & 0xff, (a + len) & 0xff)); break; }
      case 1: { const a = pick(256); sets.push(range(a, Math.min(255, a + pick(48)))); break; }
      case 2: { let m = 0; for (let i = 1 + pick(3); i > 0; i--) m |= 1 << pick(8); sets.push(tn(pick(256), m)); break; }
      case 3: sets.push(Array.from({ length: 1 + pick(5) }, () => pick(256))); break;
      default: { const v = pick(256), m = pick(256) & pick(256); const s = tn(v, m).filter((x) => x >= (v & 0xc0)); sets.push(s.length ? s : [v]); }
    }
  }
  return sets.slice(0, count).map((s, i) => {
    const a = alpha8(s);
    if (i % 5 === 3) { a.var = O.tunknown(); return O.sync(a); }
    if (i % 5 === 4) { a.smin = O.S64_MIN; a.smax = O.S64_MAX; a.s32min = O.S32_MIN; a.s32max = O.S32_MAX; return O.sync(a); }
    return a;
  });
}

/** Random 64-bit (or width-N) abstract values biased to interesting shapes; each non-empty and synchronised. */
export class RandomInputs {
  private readonly h: Harness;
  private readonly r: () => number;

  constructor(h: Harness, seed: number) {
    this.h = h;
    this.r = rng(seed);
  }

  private pick(n: number): number { return Math.floor(this.r() * n); }

  /** Interesting values: small, around the subregister and register sign/overflow boundaries, powers of two, random. */
  value(): bigint {
    const { O } = this.h;
    const N = BigInt(this.h.N), H = BigInt(this.h.H);
    const near = (x: bigint): bigint => O.u64(x + BigInt(this.pick(9) - 4));
    switch (this.pick(8)) {
      case 0: return BigInt(this.pick(64));
      case 1: return near(1n << (H - 1n));
      case 2: return near(1n << H);
      case 3: return near(1n << (N - 1n));
      case 4: return near(0n);
      case 5: return O.u64(1n << BigInt(this.pick(this.h.N))) - BigInt(this.pick(2));
      case 6: return (O.U64_MAX & ~O.U32_MAX) * BigInt(this.pick(2)) | (this.h.rand64(this.r) & O.U32_MAX);
      default: return this.h.rand64(this.r);
    }
  }

  private length(): bigint {
    switch (this.pick(5)) {
      case 0: return BigInt(this.pick(4));
      case 1: return BigInt(this.pick(300));
      case 2: return BigInt(this.pick(1 << 20));
      case 3: return this.h.O.u32(this.h.rand64(this.r));
      default: return this.h.rand64(this.r) >> BigInt(this.pick(this.h.N));
    }
  }

  private fewBits(): bigint {
    const { N } = this.h;
    if (this.pick(3) === 0) return (1n << BigInt(1 + this.pick(Math.min(N, 12)))) - 1n;
    let m = 0n;
    for (let i = 1 + this.pick(4); i > 0; i--) m |= 1n << BigInt(this.pick(N));
    return m;
  }

  /** One abstract value. */
  next(): KReg {
    const { O } = this.h;
    for (;;) {
      const r = O.unknown();
      switch (this.pick(7)) {
        case 0: return O.known(this.value());
        case 1: { // unsigned range, possibly also a tnum
          const a = this.value();
          const b = O.u64(a + this.length());
          r.umin = a < b ? a : b; r.umax = a < b ? b : a;
          if (this.pick(2)) r.var = O.trange(r.umin, r.umax);
          break;
        }
        case 2: { // signed range crossing zero or a boundary
          const a = O.s64(this.value());
          r.smin = a; r.smax = O.s64(a + this.length());
          if (r.smin > r.smax) [r.smin, r.smax] = [r.smax, r.smin];
          break;
        }
        case 3: { // tnum with few unknown bits
          const m = this.fewBits();
          r.var = { v: this.value() & ~m & O.U64_MAX, m };
          break;
        }
        case 4: { // a 32-bit subregister range with known upper half
          const lo = O.u32(this.value());
          const hi = O.u32(lo + this.length());
          r.u32min = lo < hi ? lo : hi; r.u32max = lo < hi ? hi : lo;
          const top = this.pick(3) === 0 ? O.U64_MAX & ~O.U32_MAX : 0n;
          r.var = { v: top, m: O.U32_MAX };
          if (this.pick(2)) { r.s32min = O.s32(r.u32min); r.s32max = O.s32(r.u32max); if (r.s32min > r.s32max) { r.s32min = O.S32_MIN; r.s32max = O.S32_MAX; } }
          break;
        }
        case 5: { // range and tnum together
          const m = this.fewBits() | BigInt(this.pick(256));
          r.var = { v: this.value() & ~m & O.U64_MAX, m };
          const a = this.value();
          const b = O.u64(a + this.length());
          r.umin = a < b ? a : b; r.umax = a < b ? b : a;
          break;
        }
        default: break; // unknown
      }
      const s = O.sync(r);
      if (this.h.members(s, 1, this.r).length > 0) return s;
    }
  }

  /** A shift amount: mostly a constant below the width (the only tracked case). */
  shiftSource(alu32: boolean): KReg {
    const { O } = this.h;
    if (this.pick(10) < 8) return O.known(BigInt(this.pick(alu32 ? this.h.H : this.h.N)));
    return this.next();
  }

  /** An unsynchronised state (components drawn independently, each well-ordered) for the sync row. */
  raw(): KReg {
    const { O } = this.h;
    for (;;) {
      const a = this.next();
      const b = this.next();
      // Mix the components of two real states: consistent orderings, loose reduction.
      const r = cloneK(a);
      if (this.pick(2)) r.var = b.var;
      if (this.pick(2)) { r.smin = b.smin; r.smax = b.smax; }
      if (this.pick(2)) { r.u32min = b.u32min; r.u32max = b.u32max; }
      if (this.pick(2)) { r.s32min = b.s32min; r.s32max = b.s32max; }
      if (this.h.members(r, 1, this.r).length > 0 && r.umin <= r.umax) return r;
      void O;
    }
  }
}

// ------------------------------------------------------------------ drivers

export interface RunOptions {
  /** Width-8 abstract values (every pair is compared); 0 skips width 8. */
  family8: number;
  /** Random 64-bit input pairs per operation; 0 skips width 64. */
  random64: number;
  /** Concrete member pairs checked per input pair. */
  samples: number;
  seed: number;
  /** Restrict to these row names (e.g. 'alu64.add', 'jeq32', 'sync'). */
  only?: readonly string[];
  oracle?: KernelOracleOptions;
  /** Builds the oracle of a width instead (tests plant wrong oracles this way). */
  makeOracle?: (N: number) => KernelOracle;
  progress?: (row: string, width: number) => void;
}

export function rowNames(): string[] {
  const out: string[] = [];
  for (const w of [64, 32]) for (const op of ALU_ROWS) out.push(`alu${w}.${op}`);
  out.push('neg64', 'neg32');
  for (const b of [8, 16, 32]) out.push(`movsx64.s${b}`);
  for (const b of [8, 16]) out.push(`movsx32.s${b}`);
  for (const s of ['', '32']) for (const op of JMP_ROWS) out.push(op + s);
  out.push('sync');
  return out;
}

function runRow(h: Harness, name: string, pairs: Iterable<[KReg, KReg]>, rand: () => number, samples: number): OpStats {
  const st = newStats(name);
  const alu = /^alu(64|32)\.(\w+)$/.exec(name);
  const neg = /^neg(64|32)$/.exec(name);
  const sx = /^movsx(64|32)\.s(8|16|32)$/.exec(name);
  const jmp = /^(j\w+?)(32)?$/.exec(name);
  for (const [a, b] of pairs) {
    if (alu) runAlu(h, st, alu[2] as KAluOp, alu[1] === '32', a, b, rand, samples);
    else if (neg) runAlu(h, st, 'neg', neg[1] === '32', a, b, rand, samples);
    else if (sx) runMovsx(h, st, Number(sx[2]) as 8 | 16 | 32, sx[1] === '32', a, rand, samples);
    else if (name === 'sync') runSync(h, st, a, rand, samples);
    else if (jmp) runJmp(h, st, jmp[1] as KJmpOp, jmp[2] === '32', a, b, rand, samples);
  }
  return st;
}

/** Runs every row at the requested widths. */
export function runComparison(opts: RunOptions): Row[] {
  const names = rowNames().filter((n) => !opts.only || opts.only.includes(n));
  const rows: Row[] = names.map((op) => ({ op }));
  if (opts.family8 > 0) {
    const h = new Harness(8, opts.makeOracle?.(8) ?? new KernelOracle(8, opts.oracle));
    const vals = family8(opts.family8, opts.seed);
    const rand = rng(opts.seed + 8);
    // Unsynchronised states for the sync row: each value with one component forgotten.
    const raws = vals.flatMap((v) => {
      const t = cloneK(v), s = cloneK(v), u = cloneK(v);
      t.var = h.O.tunknown();
      s.smin = h.O.S64_MIN; s.smax = h.O.S64_MAX; s.s32min = h.O.S32_MIN; s.s32max = h.O.S32_MAX;
      u.umin = 0n; u.umax = h.O.U64_MAX; u.u32min = 0n; u.u32max = h.O.U32_MAX;
      return [t, s, u];
    });
    for (const row of rows) {
      opts.progress?.(row.op, 8);
      const pairs = function* (): Generator<[KReg, KReg]> {
        if (row.op === 'sync') { for (const r of raws) yield [r, r]; return; }
        if (row.op.startsWith('neg') || row.op.startsWith('movsx')) { for (const v of vals) yield [v, v]; return; }
        for (const a of vals) for (const b of vals) yield [a, b];
      };
      row.w8 = runRow(h, row.op, pairs(), rand, opts.samples);
    }
  }
  if (opts.random64 > 0) {
    const h = new Harness(64, opts.makeOracle?.(64) ?? new KernelOracle(64, opts.oracle));
    rows.forEach((row, i) => {
      opts.progress?.(row.op, 64);
      const gen = new RandomInputs(h, opts.seed * 1000 + i);
      const rand = rng(opts.seed * 7919 + i);
      const shift = /^alu(64|32)\.(lsh|rsh|arsh)$/.exec(row.op);
      const pairs = function* (): Generator<[KReg, KReg]> {
        for (let k = 0; k < opts.random64; k++) {
          if (row.op === 'sync') { const r = gen.raw(); yield [r, r]; continue; }
          const a = gen.next();
          // Branches against a constant half of the time (BPF_K and the refinements that need one).
          const b = shift ? gen.shiftSource(shift[1] === '32') : row.op.startsWith('j') && k % 2 ? h.O.known(gen.value()) : gen.next();
          yield [a, b];
        }
      };
      row.w64 = runRow(h, row.op, pairs(), rand, opts.samples);
    });
  }
  return rows;
}

// ------------------------------------------------------------------ table

const pct = (n: number, d: number): string => (d === 0 ? '-' : `${((100 * n) / d).toFixed(n > 0 && (100 * n) / d < 0.05 ? 3 : 1)}%`);

function cell(s: OpStats | undefined): string {
  if (!s) return '-';
  const parts = [`${s.pairs.toLocaleString('en-US')} pairs`];
  if (s.unsoundBpflab || s.unsoundKernel) parts.push(`UNSOUND bpflab ${s.unsoundBpflab}, oracle ${s.unsoundKernel}`);
  return parts.join('; ');
}

function shares(s: OpStats | undefined): string {
  if (!s) return '- | - | -';
  const n = (x: number): string => x.toLocaleString('en-US');
  const better = s.better ? `**${pct(s.better, s.pairs)}** (${n(s.better)}; ${n(s.betterSet)} with fewer members)` : '0';
  const dead = s.worseDead ? `; ${s.worseDead === s.worse ? 'all' : n(s.worseDead)} on infeasible sides` : '';
  const worse = s.worse ? `**${pct(s.worse, s.pairs)}** (${n(s.worse)}; ${n(s.worseSet)} with extra members${dead})` : '0';
  return `${pct(s.equal, s.pairs)} | ${better} | ${worse}`;
}

/** The Markdown table of proofs/README.md (both widths per operator). */
export function formatKernelTable(rows: readonly Row[]): string {
  const lines = [
    '| operator | 8-bit exhaustive | equal | strictly better | worse | 64-bit random | equal | strictly better | worse |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) lines.push(`| ${r.op} | ${cell(r.w8)} | ${shares(r.w8)} | ${cell(r.w64)} | ${shares(r.w64)} |`);
  return lines.join('\n') + '\n';
}

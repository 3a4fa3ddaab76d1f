/**
 * The scalar domain as the verifier core sees it: a pluggable interface with the kernel's reduced
 * product as the default and two research variants (tnum only, intervals only). All three share
 * one state shape (Scalar) so registers, spills and the log do not care which one runs.
 */
import { bigintAlgebra } from './bigint.js';
import { makeKernel, type Kernel } from './kernel.js';
import { copyReg, type Reg } from './scalar.js';
import { ALU_OPS, type AluOp } from './alu.js';
import { JMP_OPS, type JmpOp } from './branch.js';
import { ScalarMemo } from './memo.js';

/** A scalar abstract value: all fields unsigned bigint patterns (s* are two's complement). */
export type Scalar = Readonly<Reg<bigint>>;
/** The operands of a conditional jump on each side. */
export interface Refinement {
  readonly taken: readonly [Scalar, Scalar];
  readonly fall: readonly [Scalar, Scalar];
}
export type DomainName = 'kernel' | 'tnum' | 'interval';
export const DOMAIN_NAMES: readonly DomainName[] = ['kernel', 'tnum', 'interval'];

export interface ScalarDomain {
  readonly name: DomainName;
  unknown(): Scalar;
  known(v: bigint): Scalar;
  /** known(BigInt(n)) for an integer n (an instruction's immediate): the small ones without making a bigint. */
  knownInt(n: number): Scalar;
  /** __mark_reg32_known: the subregister becomes the constant v, the 64-bit ranges stay. */
  known32(s: Scalar, v: bigint): Scalar;
  alu(op: AluOp, alu32: boolean, dst: Scalar, src: Scalar): Scalar;
  neg(alu32: boolean, dst: Scalar): Scalar;
  mov32(src: Scalar): Scalar;
  movsx(src: Scalar, bits: 8 | 16 | 32, alu32: boolean): Scalar;
  end(dst: Scalar, bits: 16 | 32 | 64, kind: 'le' | 'be' | 'bswap'): Scalar;
  truncate(s: Scalar, bytes: 1 | 2 | 4 | 8): Scalar;
  sextLoad(s: Scalar, bytes: 1 | 2 | 4): Scalar;
  branch(op: JmpOp, jmp32: boolean, a: Scalar, b: Scalar): 1 | 0 | -1;
  /** Both sides of "a <op> b"; the answer may be shared (remembered), so it is read only. */
  refine(op: JmpOp, jmp32: boolean, a: Scalar, b: Scalar): Refinement;
  /** Both sides of "a <op> a": one register compared with itself, refined in place as the kernel does. */
  refineSelf(op: JmpOp, jmp32: boolean, a: Scalar): { taken: Scalar; fall: Scalar; takenRefined: Scalar; fallRefined: Scalar };
  /** sync_linked_regs: a register linked to `known` with offsets differing by `delta` (s32 - s32). */
  linkedMove(known: Scalar, delta: bigint): Scalar;
  ptrAdd(ptrVar: Scalar, off: Scalar): Scalar;
  ptrSub(ptrVar: Scalar, off: Scalar): Scalar;
  isConst(s: Scalar): boolean;
  isConst32(s: Scalar): boolean;
  constValue(s: Scalar): bigint | undefined;
  umin(s: Scalar): bigint;
  umax(s: Scalar): bigint;
  smin(s: Scalar): bigint;
  smax(s: Scalar): bigint;
  u32min(s: Scalar): bigint;
  u32max(s: Scalar): bigint;
  s32min(s: Scalar): bigint;
  s32max(s: Scalar): bigint;
  tnum(s: Scalar): { value: bigint; mask: bigint };
  subsumes(old: Scalar, cur: Scalar): boolean;
  equal(a: Scalar, b: Scalar): boolean;
  join(a: Scalar, b: Scalar): Scalar;
  contains(s: Scalar, x: bigint): boolean;
  sanity(s: Scalar): string | undefined;
  /** __mark_reg_unbounded: every range reset, var_off kept (no sync), as after a failed sanity check. */
  unbounded(s: Scalar): Scalar;
  format(s: Scalar, extra?: readonly string[]): string;
}

/** The running kernel product at 64 bits. */
export const K64: Kernel<bigint, boolean> = makeKernel(bigintAlgebra, 64);

const s64 = (x: bigint): bigint => BigInt.asIntN(64, x);
const s32 = (x: bigint): bigint => BigInt.asIntN(32, x);
const M64 = (1n << 64n) - 1n;

/** Kernel log number formats (verbose_snum / verbose_unum): decimal when small, else hex. */
function snum(v: bigint): string {
  return v >= -32768n && v <= 32767n ? v.toString() : '0x' + BigInt.asUintN(64, v).toString(16);
}
function unum(v: bigint): string {
  return v <= 65535n ? v.toString() : '0x' + v.toString(16);
}

/** print_scalar_ranges + var_off, as the kernel's log prints a scalar register. */
export function formatScalar(s: Scalar, extra: readonly string[] = []): string {
  if (s.mask === 0n) return snum(s64(s.value));
  const smin32 = s32(s.s32min), smax32 = s32(s.s32max);
  const fmt32 = (v: bigint): bigint => (v >= -32768n && v <= 32767n ? v : BigInt.asUintN(32, v));
  const mm: { name: string; val: bigint; signed: boolean; omit: boolean }[] = [
    { name: 'smin', val: s64(s.smin), signed: true, omit: s64(s.smin) === -(1n << 63n) },
    { name: 'smax', val: s64(s.smax), signed: true, omit: s64(s.smax) === (1n << 63n) - 1n },
    { name: 'umin', val: s.umin, signed: false, omit: s.umin === 0n },
    { name: 'umax', val: s.umax, signed: false, omit: s.umax === M64 },
    { name: 'smin32', val: fmt32(smin32), signed: true, omit: smin32 === -(1n << 31n) },
    { name: 'smax32', val: fmt32(smax32), signed: true, omit: smax32 === (1n << 31n) - 1n },
    { name: 'umin32', val: s.u32min, signed: false, omit: s.u32min === 0n },
    { name: 'umax32', val: s.u32max, signed: false, omit: s.u32max === 0xffffffffn },
  ];
  const parts: string[] = [...extra];
  for (let i = 0; i < mm.length; i++) {
    const m1 = mm[i]!;
    if (m1.omit) continue;
    const neg1 = m1.signed && m1.val < 0n;
    let text = `${m1.name}=`;
    // Equal values of the same family (signed/unsigned) share one number: smin=smin32=-1.
    for (let j = i + 2; j < mm.length; j += 2) {
      const m2 = mm[j]!;
      if (m2.omit || BigInt.asUintN(64, m2.val) !== BigInt.asUintN(64, m1.val)) continue;
      const neg2 = m2.signed && m2.val < 0n;
      if (neg2 !== neg1) continue;
      m2.omit = true;
      text += `${m2.name}=`;
    }
    text += m1.signed ? snum(m1.val) : unum(m1.val);
    parts.push(text);
  }
  if (s.mask !== M64 || s.value !== 0n) parts.push(`var_off=(0x${s.value.toString(16)}; 0x${s.mask.toString(16)})`);
  return `scalar(${parts.join(',')})`;
}

/** The low 32 bits. */
const LOW32 = 0xffffffffn;

/**
 * reg_bounds_sanity_check's tests. It runs on the four refined registers of every undecided
 * jump: the signed order is taken on the patterns (K64.n.sle / K64.h.sle) and the subregister's
 * tnum is only masked once it is known to be constant, so a sane value allocates no bigint.
 */
function sanityMessage(s: Scalar): string | undefined {
  if (s.umin > s.umax || !K64.n.sle(s.smin, s.smax) || s.u32min > s.u32max || !K64.h.sle(s.s32min, s.s32max))
    return 'range bounds violation';
  if (s.mask === 0n && (s.umin !== s.value || s.umax !== s.value || s.smin !== s.value || s.smax !== s.value))
    return 'const tnum out of sync with range bounds';
  if ((s.mask & LOW32) === 0n) {
    const v32 = s.value & LOW32;
    if (s.u32min !== v32 || s.u32max !== v32 || s.s32min !== v32 || s.s32max !== v32)
      return 'const subreg tnum out of sync with range bounds';
  }
  return undefined;
}

/** Everything the three domains share: queries, formatting, pruning checks. */
function common(k: Kernel<bigint, boolean>): Omit<ScalarDomain, 'name' | 'alu' | 'neg' | 'mov32' | 'movsx' | 'end' | 'truncate' | 'sextLoad' | 'branch' | 'refine' | 'refineSelf' | 'linkedMove' | 'ptrAdd' | 'ptrSub' | 'join'> {
  // Scalars are immutable: the small constants (immediates, mostly) are made once and shared,
  // which also lets pruning compare their copies by identity.
  const small: Scalar[] = [];
  // Other 32-bit constants (loop bounds, offsets, sizes) in a small direct-mapped cache by their
  // number: a known Scalar is ten fresh bigints, and a loop compares its counter with the same one
  // each turn. A miss costs two stores (a program of distinct constants pays almost nothing).
  const CACHE = 1024;
  const cacheKeys = new Float64Array(CACHE).fill(NaN);
  const cacheVals: (Scalar | undefined)[] = new Array<Scalar | undefined>(CACHE).fill(undefined);
  /** The cached constant `n`, an integer in [-2^31, 2^32). */
  const known32 = (n: number): Scalar => {
    const i = n & (CACHE - 1);
    if (cacheKeys[i] === n) return cacheVals[i]!;
    const s = k.known(BigInt.asUintN(64, BigInt(n)));
    cacheKeys[i] = n;
    cacheVals[i] = s;
    return s;
  };
  const known = (v: bigint): Scalar => {
    if (v >= -1n && v < 256n) return (small[Number(v) + 1] ??= k.known(BigInt.asUintN(64, v)));
    if (v < -0x80000000n || v > 0xffffffffn) return k.known(BigInt.asUintN(64, v));
    return known32(Number(v));
  };
  return {
    unknown: () => k.unknown(),
    known,
    // (an immediate, mostly: the cache is looked up by the number itself, no bigint is made for a hit)
    knownInt: (n) => (n >= -1 && n < 256 ? (small[n + 1] ??= k.known(BigInt.asUintN(64, BigInt(n)))) :
      Number.isInteger(n) && n >= -0x80000000 && n <= 0xffffffff ? known32(n) : known(BigInt(n))),
    known32(s, v) {
      const r = copyReg(s as Reg<bigint>);
      k.markReg32Known(r, BigInt.asUintN(64, v));
      return r;
    },
    isConst: (s) => s.mask === 0n,
    isConst32: (s) => (s.mask & 0xffffffffn) === 0n,
    constValue: (s) => (s.mask === 0n ? s.value : undefined),
    umin: (s) => s.umin,
    umax: (s) => s.umax,
    smin: (s) => s64(s.smin),
    smax: (s) => s64(s.smax),
    u32min: (s) => s.u32min,
    u32max: (s) => s.u32max,
    s32min: (s) => s32(s.s32min),
    s32max: (s) => s32(s.s32max),
    tnum: (s) => ({ value: s.value, mask: s.mask }),
    // range_within(old, cur) && tnum_in(old.var_off, cur.var_off): cur adds no concrete value.
    // Signed comparisons on the patterns (k.n.sle / k.h.sle) allocate no signed copies; this runs
    // for every register of every state compared at a pruning point.
    subsumes: (o, c) =>
      o.umin <= c.umin && c.umax <= o.umax && k.n.sle(o.smin, c.smin) && k.n.sle(c.smax, o.smax) &&
      o.u32min <= c.u32min && c.u32max <= o.u32max && k.h.sle(o.s32min, c.s32min) && k.h.sle(c.s32max, o.s32max) &&
      (c.mask & o.mask) === c.mask && (c.value & ~o.mask) === o.value,
    equal: (a, b) =>
      a.value === b.value && a.mask === b.mask && a.umin === b.umin && a.umax === b.umax && a.smin === b.smin &&
      a.smax === b.smax && a.u32min === b.u32min && a.u32max === b.u32max && a.s32min === b.s32min && a.s32max === b.s32max,
    contains: (s, x) => k.contains(s as Reg<bigint>, BigInt.asUintN(64, x)),
    sanity: sanityMessage,
    unbounded(s) {
      const r = copyReg(s);
      k.mark64Unbounded(r);
      k.mark32Unbounded(r);
      return r;
    },
    format: formatScalar,
  };
}

/** Union hull of two states (not in the kernel; for the join/widening exploration strategy). */
function hull(k: Kernel<bigint, boolean>, a: Scalar, b: Scalar): Scalar {
  const t = k.t.union(a, b);
  const minS = (x: bigint, y: bigint, w: number): bigint => (BigInt.asIntN(w, x) < BigInt.asIntN(w, y) ? x : y);
  const maxS = (x: bigint, y: bigint, w: number): bigint => (BigInt.asIntN(w, x) > BigInt.asIntN(w, y) ? x : y);
  return k.sync({
    value: t.value, mask: t.mask,
    umin: a.umin < b.umin ? a.umin : b.umin, umax: a.umax > b.umax ? a.umax : b.umax,
    smin: minS(a.smin, b.smin, 64), smax: maxS(a.smax, b.smax, 64),
    u32min: a.u32min < b.u32min ? a.u32min : b.u32min, u32max: a.u32max > b.u32max ? a.u32max : b.u32max,
    s32min: minS(a.s32min, b.s32min, 32), s32max: maxS(a.s32max, b.s32max, 32),
  });
}

const BYTES_TO_BITS = { 1: 8, 2: 16, 4: 32, 8: 64 } as const;

function branchCode(v: bigint): 1 | 0 | -1 {
  return v === 1n ? 1 : v === 0n ? 0 : -1;
}

/** Memo codes: one per operation, flag and operand size (see memo.ts). */
const ALU_CODE = new Map(ALU_OPS.map((o, i) => [o, 2 * i]));
const JMP_CODE = new Map(JMP_OPS.map((o, i) => [o, 2 * i]));
const M_REFINE = 32;
const M_BRANCH = 64;
const M_TRUNCATE = 96;
const M_SEXT = 112;
/** neg (+1: alu32), mov32, movsx (by width and alu32), end (by width and kind), ptrAdd, ptrSub, refineSelf (by op and jmp32). */
const M_NEG = 128;
const M_MOV32 = 130;
const M_MOVSX = 131;
const MOVSX_WIDTH = { 8: 0, 16: 2, 32: 4 } as const;
const M_END = 137;
const END_WIDTH = { 16: 0, 32: 3, 64: 6 } as const;
const END_KIND = { le: 0, be: 1, bswap: 2 } as const;
const M_PTR_ADD = 146;
const M_PTR_SUB = 147;
const M_REFINE_SELF = 160;
type SelfRefinement = ReturnType<ScalarDomain['refineSelf']>;

/** The kernel's reduced product (default); its pure operations are remembered by value (memo.ts). */
export function kernelDomainOf(k: Kernel<bigint, boolean>, memo = new ScalarMemo()): ScalarDomain {
  return {
    name: 'kernel',
    ...common(k),
    alu(op, alu32, d, s) {
      const key = memo.key(ALU_CODE.get(op)! + (alu32 ? 1 : 0), d, s);
      let r = memo.get(key) as Scalar | undefined;
      if (r === undefined) memo.set(key, (r = k.alu(op, alu32, d as Reg<bigint>, s as Reg<bigint>)));
      return r;
    },
    neg(alu32, d) {
      const key = memo.key(M_NEG + (alu32 ? 1 : 0), d, null);
      let r = memo.get(key) as Scalar | undefined;
      if (r === undefined) memo.set(key, (r = k.neg(alu32, d as Reg<bigint>)));
      return r;
    },
    mov32(s) {
      const key = memo.key(M_MOV32, s, null);
      let r = memo.get(key) as Scalar | undefined;
      if (r === undefined) memo.set(key, (r = k.mov32(s as Reg<bigint>)));
      return r;
    },
    movsx(s, bits, alu32) {
      const key = memo.key(M_MOVSX + MOVSX_WIDTH[bits] + (alu32 ? 1 : 0), s, null);
      let r = memo.get(key) as Scalar | undefined;
      if (r === undefined) memo.set(key, (r = k.movsx(s as Reg<bigint>, bits, alu32)));
      return r;
    },
    end(d, bits, kind) {
      const key = memo.key(M_END + END_WIDTH[bits] + END_KIND[kind], d, null);
      let r = memo.get(key) as Scalar | undefined;
      if (r === undefined) memo.set(key, (r = k.end(d as Reg<bigint>, bits, kind)));
      return r;
    },
    truncate(s, bytes) {
      const key = memo.key(M_TRUNCATE + bytes, s, null);
      let r = memo.get(key) as Scalar | undefined;
      if (r === undefined) memo.set(key, (r = k.truncate(s as Reg<bigint>, BYTES_TO_BITS[bytes])));
      return r;
    },
    sextLoad(s, bytes) {
      const key = memo.key(M_SEXT + bytes, s, null);
      let r = memo.get(key) as Scalar | undefined;
      if (r === undefined) memo.set(key, (r = k.sextLoad(s as Reg<bigint>, BYTES_TO_BITS[bytes])));
      return r;
    },
    branch(op, jmp32, a, b) {
      const key = memo.key(M_BRANCH + JMP_CODE.get(op)! + (jmp32 ? 1 : 0), a, b);
      let r = memo.get(key) as 1 | 0 | -1 | undefined;
      if (r === undefined) memo.set(key, (r = branchCode(k.branch(op, jmp32, a as Reg<bigint>, b as Reg<bigint>))));
      return r;
    },
    refine(op, jmp32, a, b) {
      const key = memo.key(M_REFINE + JMP_CODE.get(op)! + (jmp32 ? 1 : 0), a, b);
      let r = memo.get(key) as Refinement | undefined;
      if (r === undefined) memo.set(key, (r = k.refine(op, jmp32, a as Reg<bigint>, b as Reg<bigint>)));
      return r;
    },
    refineSelf(op, jmp32, a) {
      const key = memo.key(M_REFINE_SELF + JMP_CODE.get(op)! + (jmp32 ? 1 : 0), a, null);
      let r = memo.get(key) as SelfRefinement | undefined;
      if (r === undefined) memo.set(key, (r = k.refineSelf(op, jmp32, a as Reg<bigint>)));
      return r;
    },
    linkedMove: (known, delta) => k.linkedMove(known as Reg<bigint>, BigInt.asUintN(64, delta)),
    ptrAdd(p, o) {
      const key = memo.key(M_PTR_ADD, p, o);
      let r = memo.get(key) as Scalar | undefined;
      if (r === undefined) memo.set(key, (r = k.ptrAdd(p as Reg<bigint>, o as Reg<bigint>)));
      return r;
    },
    ptrSub(p, o) {
      const key = memo.key(M_PTR_SUB, p, o);
      let r = memo.get(key) as Scalar | undefined;
      if (r === undefined) memo.set(key, (r = k.ptrSub(p as Reg<bigint>, o as Reg<bigint>)));
      return r;
    },
    join: (a, b) => hull(k, a, b),
  };
}

export const kernelDomain: ScalarDomain = kernelDomainOf(K64);

/** Bounds implied by the tnum alone (the product with no range knowledge). */
function fromTnum(k: Kernel<bigint, boolean>, value: bigint, mask: bigint): Scalar {
  const r = k.unknown();
  r.value = value & ~mask;
  r.mask = mask;
  k.updateRegBounds(r);
  return r;
}

/** tnum only: every operation on the bit-level knowledge, ranges recomputed from it. */
export function tnumDomainOf(k: Kernel<bigint, boolean>): ScalarDomain {
  const { t } = k;
  const proj = (s: { value: bigint; mask: bigint }): Scalar => fromTnum(k, s.value, s.mask);
  const sub32 = (s: { value: bigint; mask: bigint }): Scalar => proj(t.subreg(s));
  return {
    name: 'tnum',
    ...common(k),
    known: (v) => proj(t.const(BigInt.asUintN(64, v))),
    knownInt: (n) => proj(t.const(BigInt.asUintN(64, BigInt(n)))),
    alu(op, alu32, d, s) {
      const shiftOk = (alu32 ? (s.mask & 0xffffffffn) === 0n : s.mask === 0n) && (alu32 ? s.value & 0xffffffffn : s.value) < (alu32 ? 32n : 64n);
      const amt = alu32 ? s.value & 0xffffffffn : s.value;
      let r: { value: bigint; mask: bigint };
      switch (op) {
        case 'add': r = t.add(d, s); break;
        case 'sub': r = t.sub(d, s); break;
        case 'mul': r = t.mul(d, s); break;
        case 'and': r = t.and(d, s); break;
        case 'or': r = t.or(d, s); break;
        case 'xor': r = t.xor(d, s); break;
        case 'lsh': if (!shiftOk) return k.unknown(); r = t.lshift(alu32 ? t.subreg(d) : d, amt); break;
        case 'rsh': if (!shiftOk) return k.unknown(); r = t.rshift(alu32 ? t.subreg(d) : d, amt); break;
        case 'arsh': if (!shiftOk) return k.unknown(); r = t.arshift(alu32 ? t.subreg(d) : d, amt, alu32 ? 32 : 64); break;
        default: return alu32 ? sub32(t.unknown()) : k.unknown();
      }
      return alu32 ? sub32(r) : proj(r);
    },
    neg: (alu32, d) => (alu32 ? sub32(t.neg(d)) : proj(t.neg(d))),
    mov32: (s) => sub32(s),
    movsx: (s, bits, alu32) => {
      const r = k.movsx(proj(s) as Reg<bigint>, bits, alu32);
      return proj(r);
    },
    end: (d, bits, kind) => {
      const low = bits === 64 ? d : t.cast(d, bits);
      return proj(kind === 'le' ? low : t.bswap(d, bits));
    },
    truncate: (s, bytes) => (bytes === 8 ? s : proj(t.cast(s, BYTES_TO_BITS[bytes]))),
    sextLoad: (s, bytes) => proj(k.sextLoad(proj(s) as Reg<bigint>, BYTES_TO_BITS[bytes])),
    branch: (op, jmp32, a, b) => branchCode(k.branch(op, jmp32, proj(a) as Reg<bigint>, proj(b) as Reg<bigint>)),
    refine(op, jmp32, a, b) {
      // Only what a tnum can hold: equality (intersection) and JSET bits; other sides keep the inputs.
      const r = k.refine(op, jmp32, proj(a) as Reg<bigint>, proj(b) as Reg<bigint>);
      const keep = op === 'jeq' || op === 'jne' || op === 'jset';
      const side = (p: [Reg<bigint>, Reg<bigint>]): [Scalar, Scalar] =>
        keep ? [proj(p[0]), proj(p[1])] : [proj(a), proj(b)];
      return { taken: side(r.taken), fall: side(r.fall) };
    },
    // Comparing a register with itself teaches a tnum nothing (equality with itself is no news).
    refineSelf: (_op, _jmp32, a) => ({ taken: a, fall: a, takenRefined: a, fallRefined: a }),
    linkedMove: (known, delta) => proj(t.add(known, t.const(BigInt.asUintN(64, delta)))),
    ptrAdd: (p, o) => proj(t.add(p, o)),
    ptrSub: (p, o) => proj(t.sub(p, o)),
    join: (a, b) => proj(t.union(a, b)),
  };
}

/** Intervals only: the four ranges with their mutual deductions; var_off holds only constants. */
export function intervalDomainOf(k: Kernel<bigint, boolean>): ScalarDomain {
  const proj = (s: Reg<bigint>): Scalar => {
    const r = copyReg(s);
    if (r.umin === r.umax) {
      r.value = r.umin;
      r.mask = 0n;
    } else {
      r.value = 0n;
      r.mask = M64;
    }
    return r;
  };
  const R = (s: Scalar): Reg<bigint> => s as Reg<bigint>;
  return {
    name: 'interval',
    ...common(k),
    alu: (op, alu32, d, s) => proj(k.alu(op, alu32, R(d), R(s))),
    neg: (alu32, d) => proj(k.neg(alu32, R(d))),
    mov32: (s) => proj(k.mov32(R(s))),
    movsx: (s, bits, alu32) => proj(k.movsx(R(s), bits, alu32)),
    end: (d, bits, kind) => proj(k.end(R(d), bits, kind)),
    truncate: (s, bytes) => proj(k.truncate(R(s), BYTES_TO_BITS[bytes])),
    sextLoad: (s, bytes) => proj(k.sextLoad(R(s), BYTES_TO_BITS[bytes])),
    branch: (op, jmp32, a, b) => branchCode(k.branch(op, jmp32, R(a), R(b))),
    refine(op, jmp32, a, b) {
      const r = k.refine(op, jmp32, R(a), R(b));
      return { taken: [proj(r.taken[0]), proj(r.taken[1])], fall: [proj(r.fall[0]), proj(r.fall[1])] };
    },
    refineSelf(op, jmp32, a) {
      const r = k.refineSelf(op, jmp32, R(a));
      return { taken: proj(r.taken), fall: proj(r.fall), takenRefined: r.takenRefined, fallRefined: r.fallRefined };
    },
    linkedMove: (known, delta) => proj(k.linkedMove(R(known), BigInt.asUintN(64, delta))),
    ptrAdd: (p, o) => proj(k.ptrAdd(R(p), R(o))),
    ptrSub: (p, o) => proj(k.ptrSub(R(p), R(o))),
    join: (a, b) => proj(hull(k, a, b) as Reg<bigint>),
  };
}

const DOMAINS: Record<DomainName, ScalarDomain> = {
  kernel: kernelDomain,
  tnum: tnumDomainOf(K64),
  interval: intervalDomainOf(K64),
};

export function getDomain(name: DomainName): ScalarDomain {
  return DOMAINS[name];
}
